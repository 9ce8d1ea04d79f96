import copy

import pytest

from lti_pl.domain import standards as case
from lti_pl.domain.errors import InvalidInputError
from tests.support.case_provider import item_id, math_package, package, stable_id


def test_package_parses_document_items_and_tree():
    framework = case.parse_package(math_package())
    assert framework.title == "Test Mathematics Standards"
    assert framework.identifier == stable_id("Test Mathematics Standards")
    assert len(framework.items) == 8
    by_code = {i.code: i for i in framework.items}
    assert by_code["5.NF"].parent is None  # child of the document: top level
    assert by_code["5.NF.A.1"].parent == item_id("nf.a")
    assert by_code["5.NF.A.1"].education_levels == ("05",)
    roots = case.build_tree(framework.items)
    assert [r.item.code for r in roots] == ["5.NF", "6.EE", "K.G"]
    flat = [(n.item.code, n.depth) for n in case.flatten(roots)]
    assert flat[:4] == [("5.NF", 0), ("5.NF.A", 1), ("5.NF.A.1", 2), ("5.NF.A.2", 2)]


def test_sequence_number_orders_siblings_not_file_order():
    data = math_package()
    data["CFItems"].reverse()
    framework = case.parse_package(data)
    roots = case.build_tree(framework.items)
    assert [r.item.code for r in roots] == ["5.NF", "6.EE", "K.G"]


def test_identifiers_are_lower_cased_and_other_associations_ignored():
    data = math_package()
    data["CFItems"][0]["identifier"] = data["CFItems"][0]["identifier"].upper()
    data["CFAssociations"].append(
        {
            "associationType": "isPeerOf",
            "originNodeURI": {"identifier": "not-a-uuid"},
            "destinationNodeURI": {"identifier": "not-a-uuid"},
        }
    )
    framework = case.parse_package(data)
    assert framework.items[0].identifier == item_id("nf")


def _broken(change):
    data = math_package()
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(lambda d: d.pop("CFDocument"), "CFDocument is missing", id="no-document"),
        pytest.param(
            lambda d: d["CFDocument"].update(identifier="x"), "must be a UUID", id="bad-doc-id"
        ),
        pytest.param(lambda d: d["CFDocument"].pop("title"), "title is missing", id="no-title"),
        pytest.param(lambda d: d.update(CFItems=[]), "no standards", id="no-items"),
        pytest.param(lambda d: d.update(CFItems={}), "CFItems must be a list", id="items-object"),
        pytest.param(
            lambda d: d["CFItems"][2].pop("fullStatement"),
            "CFItems[2]",
            id="no-statement",
        ),
        pytest.param(
            lambda d: d["CFItems"][1].update(identifier=d["CFItems"][0]["identifier"]),
            "appears twice",
            id="duplicate",
        ),
        pytest.param(
            lambda d: d["CFItems"][0].update(humanCodingScheme=5),
            "must be text",
            id="code-number",
        ),
        pytest.param(
            lambda d: d["CFItems"][0].update(educationLevel=[5]),
            "educationLevel",
            id="levels-numbers",
        ),
        pytest.param(
            lambda d: d["CFAssociations"][0].update(originNodeURI="x"),
            "originNodeURI",
            id="association-shape",
        ),
    ],
)
def test_malformed_package_is_refused_with_the_part_at_fault(change, message):
    with pytest.raises(InvalidInputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        case.parse_package(_broken(change))


def test_is_child_of_loop_is_refused():
    data = package(
        "Loop",
        [("a", "A", "A", None, []), ("b", "B", "B", "a", [])],
    )
    # make a the child of b as well: a -> b -> a
    a, b = data["CFItems"][0]["identifier"], data["CFItems"][1]["identifier"]
    data["CFAssociations"][0]["destinationNodeURI"] = {"identifier": b}
    assert data["CFAssociations"][1]["destinationNodeURI"]["identifier"] == a
    with pytest.raises(InvalidInputError, match="loop"):
        case.parse_package(data)


def test_not_an_object_is_refused():
    with pytest.raises(InvalidInputError, match="JSON object"):
        case.parse_package([1, 2])


def test_search_by_code_and_text_keeps_ancestors():
    items = case.parse_package(math_package()).items
    kept = case.select_with_ancestors(items, "unlike denominators", "")
    assert [i.code for i in kept] == ["5.NF", "5.NF.A", "5.NF.A.1"]
    kept = case.select_with_ancestors(items, "6.ee.a", "")
    assert [i.code for i in kept] == ["6.EE", "6.EE.A.1"]


def test_grade_filter():
    items = case.parse_package(math_package()).items
    assert [i.code for i in case.select_with_ancestors(items, "", "kg")] == ["K.G", "K.G.A.1"]
    assert case.select_with_ancestors(items, "", "09") == []


def test_grade_order_and_labels():
    assert sorted(["06", "KG", "05", "PK"], key=case.grade_key) == ["PK", "KG", "05", "06"]
    assert case.grade_label("KG") == "K"
    assert case.grade_label("05") == "Grade 5"


def test_long_statement_is_cut_at_a_word_and_kept_whole_in_the_description():
    text = "word " * 200
    statement, description = case.target_statement(case.CaseItem("x", text), limit=50)
    assert len(statement) <= 50
    assert statement.endswith("word\u2026")
    assert description == text.strip()
    assert case.target_statement(case.CaseItem("x", "Short.")) == ("Short.", "")


def test_document_list():
    data = {"CFDocuments": [math_package()["CFDocument"]]}
    assert case.parse_document_list(data) == [
        (stable_id("Test Mathematics Standards"), "Test Mathematics Standards")
    ]
    with pytest.raises(InvalidInputError, match="CFDocuments"):
        case.parse_document_list({"documents": []})


def test_parse_does_not_change_its_input():
    data = math_package()
    before = copy.deepcopy(data)
    case.parse_package(data)
    assert data == before
