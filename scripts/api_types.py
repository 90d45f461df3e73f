"""TypeScript types for the mini-program, from the API's OpenAPI schema: `make types`.

    python scripts/api_types.py                     # write clients/miniprogram/api.d.ts
    python scripts/api_types.py --check             # exit 1 if the file is not what the schema gives
    python scripts/api_types.py --schema s.json -o out.d.ts   # from a saved schema instead

Written in Python, not with openapi-typescript from npm, so that the test which keeps the committed
file in step with the schema (tests/core/test_api_types.py) runs wherever `make test` runs, without
Node (docs/frontend.md). It covers what drf-spectacular emits: objects, enums, arrays, nullable
values, `$ref`/`allOf`/`oneOf`/`anyOf`, maps; and a `Paths` map giving, per operation, its path,
query and header parameters, body, answers by status, and the error codes it declares by status.
"""

import argparse
import difflib
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "clients" / "miniprogram" / "api.d.ts"

# Schema names that would shadow a TypeScript global in the client's code.
RENAMES = {"Error": "ApiError"}
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_BODY_TYPES = ("application/json", "multipart/form-data", "application/x-www-form-urlencoded")


def type_name(name: str) -> str:
    name = RENAMES.get(name, name)
    name = re.sub(r"[^A-Za-z0-9_$]", "_", name)
    return name if _IDENTIFIER.match(name) else f"_{name}"


def _key(name: str) -> str:
    return name if _IDENTIFIER.match(name) else json.dumps(name)


def _literal(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _union(types: list[str]) -> str:
    unique = list(dict.fromkeys(types))
    if "unknown" in unique:
        return "unknown"
    return " | ".join(unique) if unique else "never"


def _wrap(type_: str) -> str:
    """Parenthesise a union or intersection before `[]`."""
    return f"({type_})" if (" | " in type_ or " & " in type_) and not type_.startswith("{") else type_


def _nullable(type_: str, schema: dict) -> str:
    if schema.get("nullable") and type_ not in ("unknown", "null") and not type_.endswith(" | null"):
        return f"{type_} | null"
    return type_


def _comment(lines: list[str], indent: str) -> list[str]:
    text = [line.rstrip().replace("*/", "*\\/") for line in lines if line is not None]
    while text and not text[-1]:
        text.pop()
    if not text:
        return []
    if len(text) == 1:
        return [f"{indent}/** {text[0]} */"]
    return [f"{indent}/**", *[f"{indent} * {line}".rstrip() for line in text], f"{indent} */"]


def _field_doc(schema: dict) -> list[str]:
    lines = schema.get("description", "").splitlines()
    if schema.get("format") and schema.get("format") != "binary":
        lines.append(f"@format {schema['format']}")
    if "pattern" in schema:
        lines.append(f"@pattern {schema['pattern']}")
    return lines


def ts_type(schema: dict | None, indent: str = "") -> str:
    """The TypeScript type of a JSON schema (OpenAPI 3.0 flavour)."""
    if not schema:
        return "unknown"
    if "$ref" in schema:
        return _nullable(type_name(schema["$ref"].rsplit("/", 1)[-1]), schema)
    if "enum" in schema:
        return _nullable(_union([_literal(v) for v in schema["enum"]]), schema)
    kind = schema.get("type")
    if kind is None:
        if "allOf" in schema:
            return _nullable(" & ".join(_wrap(ts_type(s, indent)) for s in schema["allOf"]), schema)
        for combiner in ("oneOf", "anyOf"):
            if combiner in schema:
                return _nullable(_union([ts_type(s, indent) for s in schema[combiner]]), schema)
        if "properties" in schema:
            kind = "object"
        else:
            return "unknown"
    if kind == "string":
        type_ = "ArrayBuffer" if schema.get("format") == "binary" else "string"
    elif kind in ("integer", "number"):
        type_ = "number"
    elif kind == "boolean":
        type_ = "boolean"
    elif kind == "null":
        type_ = "null"
    elif kind == "array":
        type_ = f"{_wrap(ts_type(schema.get('items'), indent))}[]"
    elif kind == "object":
        type_ = _object(schema, indent)
    else:
        type_ = "unknown"
    return _nullable(type_, schema)


def _object(schema: dict, indent: str) -> str:
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", not properties)
    if not properties:
        value = "unknown" if extra is True or extra == {} else ts_type(extra, indent)
        return f"Record<string, {value}>"
    inner = indent + "  "
    lines = ["{"]
    lines += _members(schema, inner)
    if extra and extra is not True and extra != {}:
        lines.append(f"{inner}[key: string]: {ts_type(extra, inner)};")
    lines.append(f"{indent}}}")
    return "\n".join(lines)


def _members(schema: dict, indent: str) -> list[str]:
    required = set(schema.get("required", []))
    lines = []
    for name, prop in schema.get("properties", {}).items():
        lines += _comment(_field_doc(prop), indent)
        optional = "" if name in required else "?"
        lines.append(f"{indent}{_key(name)}{optional}: {ts_type(prop, indent)};")
    return lines


def _component(name: str, schema: dict) -> list[str]:
    lines = _comment(schema.get("description", "").splitlines(), "")
    type_ = ts_type(schema)
    if type_.startswith("{") and type_.endswith("}"):
        lines.append(f"export interface {type_name(name)} {type_}")
    else:
        lines.append(f"export type {type_name(name)} = {type_};")
    return lines


def _media_type(content: dict) -> tuple[str, dict] | None:
    for media in (*_BODY_TYPES, *content):
        if media in content:
            return media, content[media]
    return None


def _parameters(operation: dict, where: str, indent: str) -> str | None:
    parameters = [p for p in operation.get("parameters", []) if p.get("in") == where]
    if not parameters:
        return None
    inner = indent + "  "
    lines = ["{"]
    for parameter in parameters:
        lines += _comment(parameter.get("description", "").splitlines(), inner)
        optional = "" if parameter.get("required") else "?"
        lines.append(f"{inner}{_key(parameter['name'])}{optional}: {ts_type(parameter.get('schema'), inner)};")
    lines.append(f"{indent}}}")
    return "\n".join(lines)


def error_codes(operation: dict) -> dict[str, list[str]]:
    """Status -> the codes its examples declare, for the error answers of an operation."""
    codes = {}
    for status, response in operation.get("responses", {}).items():
        if not str(status).startswith(("4", "5")):
            continue
        found = []
        for media in response.get("content", {}).values():
            found += [e["value"]["code"] for e in media.get("examples", {}).values() if "code" in e.get("value", {})]
        if found:
            codes[str(status)] = list(dict.fromkeys(found))
    return codes


def _operation(method: str, operation: dict, indent: str) -> list[str]:
    inner = indent + "  "
    doc = [operation.get("summary", ""), ""] if operation.get("summary") else []
    doc += operation.get("description", "").splitlines()
    if operation.get("security") is not None and all(s == {} for s in operation["security"]):
        doc += ["", "Public: no token needed."]
    doc += ["", f"operationId: {operation.get('operationId', '')}"]
    lines = _comment(doc, indent)
    lines.append(f"{indent}{method}: {{")
    for field, where in (("path", "path"), ("query", "query"), ("headers", "header")):
        type_ = _parameters(operation, where, inner)
        if type_:
            lines.append(f"{inner}{field}: {type_};")
    body = operation.get("requestBody")
    if body:
        chosen = _media_type(body.get("content", {}))
        if chosen:
            media, content = chosen
            lines += _comment([f"Sent as {media}."], inner)
            optional = "" if body.get("required") else "?"
            lines.append(f"{inner}body{optional}: {ts_type(content.get('schema'), inner)};")
    lines.append(f"{inner}responses: {{")
    for status, response in operation.get("responses", {}).items():
        if str(status).startswith(("4", "5")):
            continue
        chosen = _media_type(response.get("content", {}))
        if chosen is None:
            type_ = "null"
        elif chosen[0] == "application/json":
            type_ = ts_type(chosen[1].get("schema"), inner + "  ")
        else:
            type_ = "ArrayBuffer"  # an image or a file, read with responseType "arraybuffer"
        lines.append(f"{inner}  {status}: {type_};")
    lines.append(f"{inner}}};")
    codes = error_codes(operation)
    if codes:
        lines += _comment(["The `code` of each error answer, by status."], inner)
        lines.append(f"{inner}errors: {{")
        for status, found in codes.items():
            lines.append(f"{inner}  {status}: {_union([_literal(c) for c in found])};")
        lines.append(f"{inner}}};")
    lines.append(f"{indent}}};")
    return lines


HELPERS = """\
/** The operations of one path. */
export type PathOf<P extends keyof Paths> = Paths[P];
/** What a 2xx answer of an operation carries, by status. */
export type ResponsesOf<P extends keyof Paths, M extends keyof Paths[P]> = Paths[P][M] extends {
  responses: infer R;
}
  ? R
  : never;
/** Every error `code` an operation declares. */
export type ErrorCodeOf<P extends keyof Paths, M extends keyof Paths[P]> = Paths[P][M] extends {
  errors: infer E;
}
  ? E[keyof E]
  : never;
/** An error answer with a known code: `{"code", "detail"}` (+ `fields` on `invalid`). */
export interface ApiErrorOf<C extends string = ErrorCode> {
  code: C;
  /** A human explanation, in the request's language: show it as it is. */
  detail: string;
  /** On `invalid`: each field (or `non_field_errors`) with its messages. */
  fields?: Record<string, string[]>;
}
"""


def render(schema: dict) -> str:
    info = schema.get("info", {})
    title = f"{info.get('title', 'API')} {info.get('version', '')}".strip()
    out = [
        f"// {title}: TypeScript types generated from the OpenAPI schema (/api/schema/).",
        "// Do not edit: run `make types` (scripts/api_types.py); a test fails when this file is stale.",
        "",
    ]
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        out += [*_component(name, component), ""]

    all_codes = set()
    out.append("export interface Paths {")
    for path, operations in schema.get("paths", {}).items():
        out.append(f"  {_literal(path)}: {{")
        for method, operation in operations.items():
            if method.startswith("x-") or not isinstance(operation, dict):
                continue
            out += _operation(method, operation, "    ")
            all_codes.update(c for found in error_codes(operation).values() for c in found)
        out.append("  };")
    out += ["}", ""]
    out += _comment(["Every error code some operation declares."], "")
    out.append(f"export type ErrorCode = {_union([_literal(c) for c in sorted(all_codes)])};")
    out += ["", HELPERS]
    return "\n".join(out)


def schema_generate() -> dict:
    """The schema the running service serves, in English, from this checkout's code."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    import django
    from django.conf import settings

    if not settings.configured or not django.apps.apps.ready:
        django.setup()
    from django.utils import translation
    from drf_spectacular.generators import SchemaGenerator

    with translation.override("en"):
        # Through JSON, so lazy strings become text as the served schema's are.
        return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", type=Path, help="a saved OpenAPI JSON schema (default: this code's)")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)

    schema = json.loads(args.schema.read_text()) if args.schema else schema_generate()
    text = render(schema)
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current == text:
            return 0
        sys.stdout.writelines(
            difflib.unified_diff(current.splitlines(True), text.splitlines(True), str(args.output), "generated")
        )
        print(f"\n{args.output} is stale: run `make types`.", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
