"""Manual tags (docs/tags.md): a CSV of phones or user IDs is previewed (nothing changes), then
exactly the preview is applied; the customer list's actions give and take a tag; a rule tag is
never set by hand; the customer profile shows a member's tags."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.exceptions import ApplicationError
from core.models import Tag, UserTag
from core.tags import (
    tag_assign,
    tag_import_apply,
    tag_import_preview,
    tag_refused,
    tag_unassign,
    tagged,
    user_has_any_tag,
    users_with_tags,
    with_tag_gate,
)
from mall.services import roles_seed
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "verified": UserFactory(phone="13800000001", phone_verified=True),
        # the same number typed by another account that never verified it: the verified one wins
        "typed_too": UserFactory(phone="13800000001"),
        "unverified": UserFactory(phone="13800000002"),
        "twin1": UserFactory(phone="13800000003"),
        "twin2": UserFactory(phone="13800000003"),
        "by_id": UserFactory(),
        "staff": StaffFactory(phone="13800000009"),
    }


def tagged_ids(tag) -> set:
    return set(UserTag.objects.filter(tag=tag).values_list("user_id", flat=True))


def test_a_csv_is_previewed_without_changing_anything_then_exactly_the_preview_is_applied(people):
    vip = Tag.objects.create(name="VIP客户")
    tag_assign(tag=vip, user_ids=[people["by_id"].pk])
    text = "\n".join(
        [
            "手机号",  # a header
            "13800000001",
            "+86 138-0000-0002",
            "13800000003",  # two accounts typed it, none verified it: ambiguous
            "13800000009",  # staff
            str(people["by_id"].pk),
            "99999",  # no such user
            "13800000008",  # no such phone
            "13800000001",  # twice in the file, once in the result
        ]
    )
    preview = tag_import_preview(tag=vip, text="\ufeff" + text)

    assert [u.pk for u in preview.users] == [people[k].pk for k in ("verified", "unverified", "by_id")]
    assert (preview.already, preview.new) == (1, 2)
    assert preview.unknown == ["99999", "13800000008"]
    assert preview.ambiguous == ["13800000003"]
    assert preview.skipped == ["手机号", "13800000009"]
    assert tagged_ids(vip) == {people["by_id"].pk}  # the preview changed nothing

    # Someone joins the file's numbers after the preview: the apply step still gives the tag to
    # exactly the members the operator saw.
    UserFactory(phone="13800000008")
    assert tag_import_apply(tag=vip, token=preview.token) == 2
    assert tagged_ids(vip) == {people[k].pk for k in ("verified", "unverified", "by_id")}
    assert tag_import_apply(tag=vip, token=preview.token) == 0  # applying twice adds nothing


def test_a_preview_applies_only_to_its_own_tag_and_cannot_be_forged(people):
    vip, other = Tag.objects.create(name="VIP客户"), Tag.objects.create(name="员工亲友")
    preview = tag_import_preview(tag=vip, text="13800000001")
    for tag, token in ((other, preview.token), (vip, preview.token[:-2] + "xx")):
        with pytest.raises(ApplicationError) as refused:
            tag_import_apply(tag=tag, token=token)
        assert (refused.value.code, refused.value.status) == ("invalid", 400)
    assert not UserTag.objects.exists()


def test_a_rule_tag_is_never_set_by_hand(people):
    rule_tag = Tag.objects.create(name="已验证手机", kind=Tag.Kind.RULE)
    for call in (
        lambda: tag_assign(tag=rule_tag, user_ids=[people["by_id"].pk]),
        lambda: tag_unassign(tag=rule_tag, user_ids=[people["by_id"].pk]),
        lambda: tag_import_preview(tag=rule_tag, text="13800000001"),
    ):
        with pytest.raises(ApplicationError) as refused:
            call()
        assert (refused.value.code, refused.value.status) == ("tag_is_rule", 409)
    assert not UserTag.objects.exists()


def test_assign_skips_staff_counts_only_new_members_and_unassign_takes_it_back(people):
    vip = Tag.objects.create(name="VIP客户")
    everyone = [p.pk for p in people.values()]
    assert tag_assign(tag=vip, user_ids=everyone) == 6
    assert tag_assign(tag=vip, user_ids=everyone) == 0
    assert people["staff"].pk not in tagged_ids(vip)
    assert user_has_any_tag(people["verified"], [vip]) and not user_has_any_tag(people["staff"], [vip])
    assert set(users_with_tags([vip])) == {p for k, p in people.items() if k != "staff"}
    assert UserTag.objects.filter(tagged([vip], user_field="user_id")).count() == 6
    assert tag_unassign(tag=vip, user_ids=[people["twin1"].pk, people["twin2"].pk]) == 2
    assert len(tagged_ids(vip)) == 4


# -- in the admin ---------------------------------------------------------------------------------


@pytest.fixture
def operator():
    from django.contrib.auth.models import Group

    roles_seed()
    operator = StaffFactory()
    operator.groups.add(Group.objects.get(name="运营"))
    return operator


@pytest.fixture
def operator_client(operator):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(operator)
    return client


def test_the_customer_list_gives_and_takes_a_manual_tag(people, operator, operator_client):
    vip = Tag.objects.create(name="VIP客户")
    Tag.objects.create(name="已验证手机", kind=Tag.Kind.RULE)
    chosen = [people["verified"].pk, people["unverified"].pk]
    url = "/admin/accounts/customer/"

    # The action first asks which tag (manual tags only), changing nothing.
    ask = operator_client.post(url, {"action": "tag_add", "_selected_action": chosen})
    assert ask.status_code == 200
    page = ask.content.decode()
    assert "VIP客户" in page and "已验证手机" not in page
    assert not UserTag.objects.exists()

    done = operator_client.post(
        url, {"action": "tag_add", "_selected_action": chosen, "tag": vip.pk, "apply": "1", "select_across": "0"}
    )
    assert done.status_code == 302
    assert tagged_ids(vip) == set(chosen)
    assert UserTag.objects.filter(tag=vip).first().added_by == operator

    # The list filters by tag and shows each customer's tags.
    listing = operator_client.get(url, {"tag": vip.pk}).content.decode()
    assert people["verified"].nickname in listing and people["by_id"].nickname not in listing

    operator_client.post(
        url,
        {"action": "tag_remove", "_selected_action": [people["verified"].pk], "tag": vip.pk, "apply": "1"},
    )
    assert tagged_ids(vip) == {people["unverified"].pk}


def test_the_profile_shows_the_members_tags(people, operator_client):
    vip = Tag.objects.create(name="VIP客户")
    tag_assign(tag=vip, user_ids=[people["verified"].pk])
    page = operator_client.get(f"/admin/accounts/customer/{people['verified'].pk}/change/").content.decode()
    assert "VIP客户" in page
    other = operator_client.get(f"/admin/accounts/customer/{people['by_id'].pk}/change/").content.decode()
    assert "VIP客户" not in other


def test_the_admin_imports_a_csv_after_a_preview(people, operator_client):
    vip = Tag.objects.create(name="VIP客户")
    url = f"/admin/core/tag/{vip.pk}/import/"
    upload = SimpleUploadedFile("vip.csv", "phone\n13800000001\n99999\n".encode("gb18030"), "text/csv")

    preview = operator_client.post(url, {"file": upload})
    assert preview.status_code == 200
    shown = preview.context_data["preview"]
    assert [u.pk for u in shown.users] == [people["verified"].pk] and shown.unknown == ["99999"]
    assert not UserTag.objects.exists()

    applied = operator_client.post(url, {"token": shown.token})
    assert applied.status_code == 302
    assert tagged_ids(vip) == {people["verified"].pk}


def test_the_import_needs_the_permission_to_tag(people):
    vip = Tag.objects.create(name="VIP客户")
    viewer = StaffFactory()
    client = Client()
    client.force_login(viewer)
    assert client.get(f"/admin/core/tag/{vip.pk}/import/").status_code in (302, 403)


def test_a_row_read_with_its_tag_gate_is_answered_without_a_query_when_it_carries_no_tag(
    django_assert_num_queries,
):
    from mall.models import Product
    from mall.services.products import product_for_sale
    from tests.mall.factories import ProductFactory

    member, tagged_member = UserFactory(), UserFactory()
    vip = Tag.objects.create(name="VIP客户")
    UserTag.objects.create(user=tagged_member, tag=vip)
    open_product, kept_product = ProductFactory(), ProductFactory()
    kept_product.tags.set([vip])

    for read in (
        lambda pk: with_tag_gate(Product.objects.filter(pk=pk)).get(),
        product_for_sale,  # the redemption's own read, in plain SQL
    ):
        untagged, kept = read(open_product.pk), read(kept_product.pk)
        assert (untagged.tag_gated, kept.tag_gated) == (False, True)
        with django_assert_num_queries(0):
            assert not tag_refused(member, untagged)
        assert tag_refused(member, kept) and not tag_refused(tagged_member, kept)
    assert tag_refused(member, Product.objects.get(pk=kept_product.pk))  # read without it: asks
