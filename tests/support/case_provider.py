"""A CASE 1.0 provider (1EdTech Competencies and Academic Standards Exchange) over real HTTP.

Serves `GET /ims/case/v1p0/CFDocuments` (`{"CFDocuments": [...]}`) and
`GET /ims/case/v1p0/CFPackages/{sourcedId}` (a CFPackage: CFDocument, CFItems, CFAssociations),
with unknown ids answered 404 and an `imsx_StatusInfo` body, as the spec's REST binding does.
Switchable faults: a status for every request, a package body replaced by broken JSON, dropped
connections. Tests assert on `provider.requests` (what arrived), never on what the tool meant.

`math_package()` builds the small framework the tests share (written from the CASE 1.0 spec:
identifiers are UUIDs, `isChildOf` goes from child (origin) to parent (destination), the top
level is a child of the document).
"""

from __future__ import annotations

import copy
import json
import socket
import threading
import uuid
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.serving import WSGIRequestHandler

from tests.support.serving import serve_in_thread, stop_serving

CASE = "/ims/case/v1p0"
NAMESPACE = uuid.UUID("6f0c8a52-1d8e-4b4e-9a51-3c2f6a0e7d10")


def stable_id(name: str) -> str:
    """A UUID that is the same for the same name in every run (CASE identifiers are stable)."""
    return str(uuid.uuid5(NAMESPACE, name))


def _link(identifier: str, title: str) -> dict[str, str]:
    return {"title": title, "identifier": identifier, "uri": f"https://case.test/uri/{identifier}"}


def package(
    title: str,
    items: list[tuple[str, str, str, str | None, list[str]]],
    *,
    document_name: str | None = None,
) -> dict[str, Any]:
    """A CFPackage from (name, code, statement, parent name or None, grade levels) rows."""
    doc_id = stable_id(document_name or title)
    ids = {name: stable_id(f"{document_name or title}/{name}") for name, *_ in items}
    cf_items, associations = [], []
    for position, (name, code, statement, parent, levels) in enumerate(items):
        cf_items.append(
            {
                "identifier": ids[name],
                "uri": f"https://case.test/uri/{ids[name]}",
                "fullStatement": statement,
                "humanCodingScheme": code,
                "CFItemType": "Standard" if parent else "Domain",
                "educationLevel": levels,
                "language": "en",
                "lastChangeDateTime": "2026-01-01T00:00:00+00:00",
            }
        )
        destination = _link(ids[parent], parent) if parent else _link(doc_id, title)
        associations.append(
            {
                "identifier": stable_id(f"{document_name or title}/assoc/{name}"),
                "associationType": "isChildOf",
                "uri": f"https://case.test/uri/assoc/{name}",
                "originNodeURI": _link(ids[name], code),
                "destinationNodeURI": destination,
                "sequenceNumber": position + 1,
                "lastChangeDateTime": "2026-01-01T00:00:00+00:00",
            }
        )
    return {
        "CFDocument": {
            "identifier": doc_id,
            "uri": f"https://case.test/uri/{doc_id}",
            "creator": "Test State Board of Education",
            "title": title,
            "lastChangeDateTime": "2026-01-01T00:00:00+00:00",
            "version": "1.0",
            "adoptionStatus": "Adopted",
            "language": "en",
        },
        "CFItems": cf_items,
        "CFAssociations": associations,
    }


MATH_ITEMS = [
    ("nf", "5.NF", "Number and Operations—Fractions", None, ["05"]),
    (
        "nf.a",
        "5.NF.A",
        "Use equivalent fractions as a strategy to add and subtract fractions.",
        "nf",
        ["05"],
    ),
    (
        "nf.a.1",
        "5.NF.A.1",
        "Add and subtract fractions with unlike denominators (including mixed "
        "numbers) by replacing given fractions with equivalent fractions.",
        "nf.a",
        ["05"],
    ),
    (
        "nf.a.2",
        "5.NF.A.2",
        "Solve word problems involving addition and subtraction of fractions "
        "referring to the same whole.",
        "nf.a",
        ["05"],
    ),
    ("ee", "6.EE", "Expressions and Equations", None, ["06"]),
    (
        "ee.a.1",
        "6.EE.A.1",
        "Write and evaluate numerical expressions involving whole-number exponents.",
        "ee",
        ["06"],
    ),
    ("g", "K.G", "Geometry", None, ["KG"]),
    ("g.a.1", "K.G.A.1", "Describe objects in the environment using names of shapes.", "g", ["KG"]),
]


def math_package() -> dict[str, Any]:
    """The tests' framework: three domains (grades K, 5, 6), eight items."""
    return package("Test Mathematics Standards", MATH_ITEMS)


def item_id(name: str, title: str = "Test Mathematics Standards") -> str:
    """The identifier `package()` gave the item called `name`."""
    return stable_id(f"{title}/{name}")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Quiet: tests read `provider.requests`."""


class CaseProvider:
    """The provider; `start()` serves it on 127.0.0.1 at a free port, `stop()` ends it."""

    def __init__(self, packages: list[dict[str, Any]] | None = None) -> None:
        self.packages: dict[str, dict[str, Any]] = {}
        for item in packages or [math_package()]:
            self.add(item)
        self.requests: list[str] = []
        self.status: int | None = None
        self.broken: set[str] = set()
        self.drop = False
        self.app = self._build()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def add(self, data: dict[str, Any]) -> str:
        """Serve a package (replacing one with the same document identifier)."""
        identifier = data["CFDocument"]["identifier"]
        self.packages[identifier] = copy.deepcopy(data)
        return identifier

    @property
    def base_url(self) -> str:
        """The CASE base URL, e.g. http://127.0.0.1:5123/ims/case/v1p0."""
        return f"http://127.0.0.1:{self._server.server_port}{CASE}"

    def _build(self) -> Flask:
        app = Flask("case_provider")

        def error(status: int, description: str) -> Response:
            body = {
                "imsx_codeMajor": "failure",
                "imsx_severity": "error",
                "imsx_description": description,
            }
            return Response(json.dumps(body), status=status, mimetype="application/json")

        @app.before_request
        def record_and_fault() -> Response | None:
            from flask import request

            self.requests.append(request.path)
            if self.drop:
                sock = request.environ.get("werkzeug.socket")
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
            if self.status is not None:
                return error(self.status, "switched fault")
            return None

        @app.get(f"{CASE}/CFDocuments")
        def documents() -> Response:
            return jsonify({"CFDocuments": [p["CFDocument"] for p in self.packages.values()]})

        @app.get(f"{CASE}/CFPackages/<sourced_id>")
        def packages(sourced_id: str) -> Response:
            if sourced_id not in self.packages:
                return error(404, "Unknown Object")
            if sourced_id in self.broken:
                return Response('{"CFDocument": {', mimetype="application/json")
            return jsonify(self.packages[sourced_id])

        return app

    def start(self) -> CaseProvider:
        """Serve in a thread."""
        self._server, self._thread = serve_in_thread(self.app, _QuietHandler)
        return self

    def stop(self) -> None:
        """Stop serving."""
        stop_serving(self._server)
