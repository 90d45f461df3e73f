"""The mini-program's TypeScript types (scripts/api_types.py, `make types`): the committed file is
what the current schema gives, and the generator maps each schema construct as TypeScript means it."""

import difflib
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_generator():
    # scripts/ is a folder of commands, not a package: load the file itself.
    spec = importlib.util.spec_from_file_location("api_types", ROOT / "scripts" / "api_types.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


api_types = _load_generator()


def test_the_committed_types_are_what_the_schema_gives():
    committed = api_types.OUTPUT.read_text() if api_types.OUTPUT.exists() else ""
    generated = api_types.render(api_types.schema_generate())

    if committed != generated:
        diff = "".join(list(difflib.unified_diff(committed.splitlines(True), generated.splitlines(True)))[:60])
        pytest.fail(f"{api_types.OUTPUT.relative_to(ROOT)} is stale: run `make types` and commit it.\n{diff}")


def _schema(components: dict, paths: dict | None = None) -> dict:
    return {"info": {"title": "T", "version": "1"}, "components": {"schemas": components}, "paths": paths or {}}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, "string"),
        ({"type": "string", "format": "date-time"}, "string"),
        ({"type": "string", "format": "binary"}, "ArrayBuffer"),
        ({"type": "integer"}, "number"),
        ({"type": "number", "nullable": True}, "number | null"),
        ({"type": "boolean"}, "boolean"),
        ({"type": "array", "items": {"type": "integer"}}, "number[]"),
        ({"type": "array", "items": {"type": "integer", "nullable": True}}, "(number | null)[]"),
        ({"$ref": "#/components/schemas/Thing"}, "Thing"),
        ({"$ref": "#/components/schemas/Error"}, "ApiError"),  # not the global Error
        ({"allOf": [{"$ref": "#/components/schemas/Thing"}], "nullable": True}, "Thing | null"),
        ({"allOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]}, "A & B"),
        (
            {"oneOf": [{"$ref": "#/components/schemas/KindEnum"}, {"$ref": "#/components/schemas/NullEnum"}]},
            "KindEnum | NullEnum",
        ),
        ({"enum": ["a", "b"], "type": "string"}, '"a" | "b"'),
        ({"enum": [None]}, "null"),
        ({"enum": ["x", ""], "nullable": True}, '"x" | "" | null'),
        ({"type": "object", "additionalProperties": {}}, "Record<string, unknown>"),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, "Record<string, number>"),
        ({"type": "object"}, "Record<string, unknown>"),
        ({"type": "string", "anyOf": [{"format": "uri"}, {"maxLength": 0}]}, "string"),  # constraints only
        ({}, "unknown"),
    ],
)
def test_a_schema_becomes_its_typescript_type(schema, expected):
    assert api_types.ts_type(schema) == expected


def test_objects_become_interfaces_with_optional_members_and_their_documentation():
    text = api_types.render(
        _schema(
            {
                "Thing": {
                    "type": "object",
                    "description": "A thing.",
                    "properties": {
                        "id": {"type": "integer"},
                        "when": {"type": "string", "format": "date", "description": "The day */ it was."},
                        "content-type": {"type": "string"},
                        "inner": {"type": "object", "properties": {"x": {"type": "boolean"}}, "required": ["x"]},
                    },
                    "required": ["id", "inner"],
                },
                "KindEnum": {"enum": ["a", "b"], "type": "string"},
            }
        )
    )

    assert (
        "/** A thing. */\n"
        "export interface Thing {\n"
        "  id: number;\n"
        "  /**\n"
        "   * The day *\\/ it was.\n"
        "   * @format date\n"
        "   */\n"
        "  when?: string;\n"
        '  "content-type"?: string;\n'
        "  inner: {\n"
        "    x: boolean;\n"
        "  };\n"
        "}\n"
    ) in text
    assert 'export type KindEnum = "a" | "b";' in text


def _error_answer(*codes: str) -> dict:
    examples = {code: {"value": {"code": code, "detail": "..."}} for code in codes}
    return {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}, "examples": examples}}}


def _operation(**fields) -> dict:
    return {
        "operationId": "things_join",
        "summary": "Join a thing",
        "description": "Joins it.",
        "responses": {
            "201": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
            "204": {"description": "No Content"},
            "409": _error_answer("full", "closed"),
            "404": _error_answer("not_found"),
        },
        **fields,
    }


def test_each_operation_gets_its_parameters_body_answers_and_error_codes():
    operation = _operation(
        parameters=[
            {"in": "path", "name": "thing_id", "required": True, "schema": {"type": "integer"}},
            {"in": "query", "name": "limit", "schema": {"type": "integer"}, "description": "1 to 100"},
            {"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}},
        ],
        requestBody={
            "content": {
                "multipart/form-data": {"schema": {"$ref": "#/components/schemas/Form"}},
                "application/json": {"schema": {"$ref": "#/components/schemas/Body"}},
            },
            "required": True,
        },
    )
    text = api_types.render(_schema({}, {"/api/things/{thing_id}/join": {"post": operation}}))

    assert (
        '  "/api/things/{thing_id}/join": {\n'
        "    /**\n"
        "     * Join a thing\n"
        "     *\n"
        "     * Joins it.\n"
        "     *\n"
        "     * operationId: things_join\n"
        "     */\n"
        "    post: {\n"
        "      path: {\n"
        "        thing_id: number;\n"
        "      };\n"
        "      query: {\n"
        "        /** 1 to 100 */\n"
        "        limit?: number;\n"
        "      };\n"
        "      headers: {\n"
        '        "Idempotency-Key"?: string;\n'
        "      };\n"
        "      /** Sent as application/json. */\n"
        "      body: Body;\n"
        "      responses: {\n"
        "        201: Thing;\n"
        "        204: null;\n"
        "      };\n"
        "      /** The `code` of each error answer, by status. */\n"
        "      errors: {\n"
        '        409: "full" | "closed";\n'
        '        404: "not_found";\n'
        "      };\n"
        "    };\n"
        "  };\n"
    ) in text
    assert 'export type ErrorCode = "closed" | "full" | "not_found";' in text


def test_a_public_operation_says_so_and_a_file_answer_is_an_array_buffer():
    operation = _operation(security=[{}], requestBody={"content": {"application/json": {"schema": {}}}})
    operation["responses"]["201"] = {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}
    text = api_types.render(_schema({}, {"/api/poster": {"get": operation}}))

    assert "     * Public: no token needed.\n" in text
    assert "      body?: unknown;\n" in text
    assert "        201: ArrayBuffer;\n" in text


def test_the_check_mode_reports_a_stale_file(tmp_path, capsys):
    schema_file = tmp_path / "schema.json"
    schema_file.write_text('{"info": {"title": "T", "version": "1"}, "paths": {}}')
    out = tmp_path / "api.d.ts"

    assert api_types.main(["--schema", str(schema_file), "-o", str(out), "--check"]) == 1
    assert "is stale: run `make types`" in capsys.readouterr().err
    assert api_types.main(["--schema", str(schema_file), "-o", str(out)]) == 0
    assert api_types.main(["--schema", str(schema_file), "-o", str(out), "--check"]) == 0
