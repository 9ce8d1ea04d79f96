"""CASE frameworks (1EdTech Competencies and Academic Standards Exchange 1.0): parse, tree, search.

A CASE package (`CFPackage`) is a `CFDocument` (the framework), its `CFItems` (standards, each
with a stable UUID `identifier`, a `fullStatement`, an optional `humanCodingScheme` such as
"5.NF.A.1", a `CFItemType` and `educationLevel` grade codes) and `CFAssociations` between them;
`isChildOf` associations (origin: the child, destination: the parent item or the document) make
the tree. Parsing checks everything first and returns plain values, so an import either has a whole
valid framework to write or an `InvalidInputError` saying what is wrong, never half of one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.search import matches_words, query_words

MAX_ITEMS = 20_000
MAX_CODE_CHARS = 255
MAX_TITLE_CHARS = 500
MAX_TYPE_CHARS = 255
MAX_STATEMENT_CHARS = 20_000
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
#: CASE `educationLevel` codes in school order (CEDS grade levels); others sort after, by text.
GRADE_ORDER = ("IT", "PR", "PK", "TK", "KG", *(f"{n:02d}" for n in range(1, 14)), "PS", "UG")
_GRADE_LABELS = {"IT": "Infant/toddler", "PR": "Preschool", "PK": "Pre-K", "TK": "TK", "KG": "K"}


@dataclass(frozen=True)
class CaseItem:
    """One standard (a `CFItem`) with its place in the framework's tree.

    Attributes:
        identifier: the item's stable CASE UUID, lower case.
        statement: `fullStatement`.
        code: `humanCodingScheme` ("" when absent).
        item_type: `CFItemType` ("" when absent), e.g. "Standard", "Cluster", "Domain".
        education_levels: `educationLevel` codes, e.g. ("05",).
        parent: the parent item's identifier, None for a top-level item (child of the document).
        position: the order among siblings (`sequenceNumber`, then the order in the file).
    """

    identifier: str
    statement: str
    code: str = ""
    item_type: str = ""
    education_levels: tuple[str, ...] = ()
    parent: str | None = None
    position: int = 0


@dataclass(frozen=True)
class CaseFramework:
    """A parsed `CFPackage`: the document's fields and its items."""

    identifier: str
    title: str
    creator: str = ""
    version: str = ""
    adoption_status: str = ""
    items: tuple[CaseItem, ...] = ()


@dataclass
class TreeNode:
    """An item with its children, for the browse screen."""

    item: CaseItem
    children: list[TreeNode] = field(default_factory=list)
    depth: int = 0


def _text(value: object, where: str, name: str, *, required: bool, limit: int) -> str:
    if value is None or value == "":
        if required:
            raise InvalidInputError(f"{where}: {name} is missing.")
        return ""
    if not isinstance(value, str):
        raise InvalidInputError(f"{where}: {name} must be text, not {type(value).__name__}.")
    if "\x00" in value:
        raise InvalidInputError(f"{where}: {name} contains a NUL character.")
    text = value.strip()
    if required and not text:
        raise InvalidInputError(f"{where}: {name} is empty.")
    if len(text) > limit:
        raise InvalidInputError(f"{where}: {name} is longer than {limit} characters.")
    return text


def _identifier(value: object, where: str) -> str:
    if not isinstance(value, str) or not _UUID.match(value.strip()):
        raise InvalidInputError(
            f"{where}: identifier must be a UUID such as 3f1c2b9e-8d4a-11e9-bc42-526af7764f64."
        )
    return value.strip().lower()


def _node_identifier(value: object, where: str) -> str | None:
    """The identifier inside a LinkGenURI (`originNodeURI` / `destinationNodeURI`)."""
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{where} must be an object with an identifier.")
    identifier = value.get("identifier")
    if isinstance(identifier, str) and _UUID.match(identifier.strip()):
        return identifier.strip().lower()
    raise InvalidInputError(f"{where}.identifier must be a UUID.")


def _levels(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):  # some publishers send "05" or "09,10"
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInputError(f"{where}: educationLevel must be a list of grade codes.")
    return tuple(dict.fromkeys(v.strip().upper() for v in value if v.strip()))


def _sequence(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return float("inf")
    return float(value)


def parse_package(data: object) -> CaseFramework:
    """Validate a `CFPackage` (decoded JSON) and return the framework.

    Raises:
        InvalidInputError: the package is malformed; the message names the part at fault.
    """
    if not isinstance(data, Mapping):
        raise InvalidInputError("A CASE package is a JSON object with CFDocument and CFItems.")
    document = data.get("CFDocument")
    if not isinstance(document, Mapping):
        raise InvalidInputError("CFDocument is missing: this is not a CASE package (CFPackage).")
    doc_id = _identifier(document.get("identifier"), "CFDocument")
    title = _text(
        document.get("title"), "CFDocument", "title", required=True, limit=MAX_TITLE_CHARS
    )
    raw_items = data.get("CFItems", [])
    if not isinstance(raw_items, list):
        raise InvalidInputError("CFItems must be a list.")
    if not raw_items:
        raise InvalidInputError("CFItems is empty: the framework has no standards to import.")
    if len(raw_items) > MAX_ITEMS:
        raise InvalidInputError(f"The package has more than {MAX_ITEMS} items.")
    items: dict[str, dict[str, object]] = {}
    for index, raw in enumerate(raw_items):
        where = f"CFItems[{index}]"
        if not isinstance(raw, Mapping):
            raise InvalidInputError(f"{where} must be an object.")
        identifier = _identifier(raw.get("identifier"), where)
        where = f"{where} ({identifier})"
        if identifier in items or identifier == doc_id:
            raise InvalidInputError(f"{where}: the identifier appears twice.")
        item_type = raw.get("CFItemType")
        items[identifier] = {
            "statement": _text(
                raw.get("fullStatement"),
                where,
                "fullStatement",
                required=True,
                limit=MAX_STATEMENT_CHARS,
            ),
            "code": _text(
                raw.get("humanCodingScheme"),
                where,
                "humanCodingScheme",
                required=False,
                limit=MAX_CODE_CHARS,
            ),
            "item_type": _text(
                item_type, where, "CFItemType", required=False, limit=MAX_TYPE_CHARS
            ),
            "levels": _levels(raw.get("educationLevel"), where),
            "index": index,
        }
    parents: dict[str, tuple[str | None, float]] = {}
    raw_associations = data.get("CFAssociations", [])
    if not isinstance(raw_associations, list):
        raise InvalidInputError("CFAssociations must be a list.")
    for index, raw in enumerate(raw_associations):
        where = f"CFAssociations[{index}]"
        if not isinstance(raw, Mapping):
            raise InvalidInputError(f"{where} must be an object.")
        if raw.get("associationType") != "isChildOf":
            continue  # isPeerOf, exactMatchOf, …: not part of the tree
        child = _node_identifier(raw.get("originNodeURI"), f"{where}.originNodeURI")
        parent = _node_identifier(raw.get("destinationNodeURI"), f"{where}.destinationNodeURI")
        if child not in items:
            continue  # an association about another document's item
        if child in parents:
            continue  # CASE allows several parents; the tree keeps the first one
        if parent == child:
            raise InvalidInputError(f"{where}: an item cannot be its own parent.")
        # A parent outside this document's items (the document itself, or another framework)
        # makes the item top-level here.
        parents[child] = (parent if parent in items else None, _sequence(raw.get("sequenceNumber")))
    _refuse_cycles(parents)
    ordered = sorted(
        items, key=lambda i: (parents.get(i, (None, float("inf")))[1], items[i]["index"])
    )
    result = tuple(
        CaseItem(
            identifier=identifier,
            statement=str(items[identifier]["statement"]),
            code=str(items[identifier]["code"]),
            item_type=str(items[identifier]["item_type"]),
            education_levels=items[identifier]["levels"],  # type: ignore[arg-type]
            parent=parents.get(identifier, (None, 0.0))[0],
            position=position,
        )
        for position, identifier in enumerate(ordered)
    )
    return CaseFramework(
        identifier=doc_id,
        title=title,
        creator=_text(document.get("creator"), "CFDocument", "creator", required=False, limit=500),
        version=_text(document.get("version"), "CFDocument", "version", required=False, limit=100),
        adoption_status=_text(
            document.get("adoptionStatus"),
            "CFDocument",
            "adoptionStatus",
            required=False,
            limit=100,
        ),
        items=result,
    )


def _refuse_cycles(parents: Mapping[str, tuple[str | None, float]]) -> None:
    for start in parents:
        seen = {start}
        node = parents[start][0]
        while node is not None:
            if node in seen:
                raise InvalidInputError(
                    f"CFAssociations: isChildOf forms a loop through item {node}."
                )
            seen.add(node)
            node = parents.get(node, (None, 0.0))[0]


def parse_document_list(data: object) -> list[tuple[str, str]]:
    """(identifier, title) of each framework in a provider's `GET …/CFDocuments` answer.

    Raises:
        InvalidInputError: the answer is not a CFDocuments list.
    """
    documents = data.get("CFDocuments") if isinstance(data, Mapping) else None
    if not isinstance(documents, list):
        raise InvalidInputError("The provider's CFDocuments answer has no CFDocuments list.")
    found = []
    for index, document in enumerate(documents):
        where = f"CFDocuments[{index}]"
        if not isinstance(document, Mapping):
            raise InvalidInputError(f"{where} must be an object.")
        found.append(
            (
                _identifier(document.get("identifier"), where),
                _text(document.get("title"), where, "title", required=False, limit=500),
            )
        )
    return found


def build_tree(items: Iterable[CaseItem]) -> list[TreeNode]:
    """The items as a forest by `isChildOf`, siblings in framework order (depth-first)."""
    nodes = {item.identifier: TreeNode(item) for item in items}
    roots: list[TreeNode] = []
    for node in sorted(nodes.values(), key=lambda n: n.item.position):
        parent = nodes.get(node.item.parent) if node.item.parent else None
        (parent.children if parent is not None else roots).append(node)

    def set_depth(level: Sequence[TreeNode], depth: int) -> None:
        for node in level:
            node.depth = depth
            set_depth(node.children, depth + 1)

    set_depth(roots, 0)
    return roots


def flatten(roots: Iterable[TreeNode]) -> list[TreeNode]:
    """Depth-first order of a forest, each node with its depth."""
    out: list[TreeNode] = []
    stack = list(reversed(list(roots)))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


def matches(item: CaseItem, query: str = "", grade: str = "") -> bool:
    """Whether an item matches a search (code or statement, any word order) and a grade level."""
    if grade and grade.strip().upper() not in item.education_levels:
        return False
    return matches_words(query_words(query), item.code, item.statement)


def select_with_ancestors(items: Sequence[CaseItem], query: str, grade: str) -> list[CaseItem]:
    """The matching items plus their ancestors, so a filtered tree keeps its context."""
    by_id = {item.identifier: item for item in items}
    keep: set[str] = set()
    for item in items:
        if matches(item, query, grade):
            node: CaseItem | None = item
            while node is not None and node.identifier not in keep:
                keep.add(node.identifier)
                node = by_id.get(node.parent) if node.parent else None
    return [item for item in items if item.identifier in keep]


def grade_key(level: str) -> tuple[int, str]:
    """Sort key for an `educationLevel` code in school order."""
    code = level.upper()
    return (GRADE_ORDER.index(code), code) if code in GRADE_ORDER else (len(GRADE_ORDER), code)


def grade_label(level: str) -> str:
    """A teacher's name for a grade code: "KG" → "K", "05" → "Grade 5"."""
    code = level.upper()
    if code in _GRADE_LABELS:
        return _GRADE_LABELS[code]
    if code.isdigit():
        return f"Grade {int(code)}"
    return level


def target_statement(item: CaseItem, limit: int = 500) -> tuple[str, str]:
    """(statement, description) for a learning target made from an item.

    A statement longer than a target allows is cut at a word with "…" and kept whole in the
    description.
    """
    text = " ".join(item.statement.split())
    if len(text) <= limit:
        return text, ""
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return f"{cut}\u2026", text
