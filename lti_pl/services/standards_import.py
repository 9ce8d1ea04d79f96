"""Importing standards frameworks (CASE packages) from a file or a provider, idempotently."""

from __future__ import annotations

import json
import logging as _logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import select

from lti_pl.domain import standards as case
from lti_pl.domain.errors import InvalidInputError
from lti_pl.extensions import db
from lti_pl.models.courses import Course
from lti_pl.models.platforms import Platform
from lti_pl.models.standards import StandardItem, StandardsFramework
from lti_pl.models.targets import LearningTarget
from lti_pl.outbound import UrlPolicy, UrlRefusedError, check_url

logger = _logging.getLogger(__name__)


MAX_PACKAGE_BYTES = 20 * 1024 * 1024
PROVIDER_TIMEOUT = 15.0
CASE_PATH = "/ims/case/v1p0"
#: What a provider address may be: http or https, never a private, loopback or link-local host.
PUBLIC_PROVIDERS = UrlPolicy(allow_http=True)


@dataclass(frozen=True)
class ImportResult:
    """What an import changed in one framework."""

    framework: StandardsFramework
    created: int
    updated: int
    retired: int
    is_new: bool


def parse_json(raw: bytes, source: str) -> Any:
    """Decode a package file.

    Raises:
        InvalidInputError: too large, not UTF-8 or not JSON.
    """
    if len(raw) > MAX_PACKAGE_BYTES:
        raise InvalidInputError(f"{source}: larger than {MAX_PACKAGE_BYTES // 1024 // 1024} MB.")
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidInputError(f"{source}: not UTF-8 text.") from None
    except json.JSONDecodeError as error:
        raise InvalidInputError(f"{source}: not valid JSON ({error}).") from None


def provider_policy(config: Mapping[str, Any]) -> UrlPolicy:
    """Which addresses a provider URL may name: public ones, or any with LTI_PL_CASE_ALLOW_PRIVATE.

    The setting is for a provider inside the school's network, and for the test emulator.
    """
    return UrlPolicy(allow_http=True, allow_private=bool(config.get("LTI_PL_CASE_ALLOW_PRIVATE")))


_REFUSALS = {
    "private_address": "it names a private, loopback or link-local address, which the tool does "
    "not fetch from; give the provider's public address",
    "unresolved": "its host name does not resolve; check the address",
    "insecure_url": "it must start with https://",
}


def _check_provider_url(url: str, policy: UrlPolicy) -> None:
    try:
        check_url(url, policy, "the CASE provider address")
    except UrlRefusedError as error:
        reason = _REFUSALS.get(error.reason, "it is not a usable address")
        logger.info("CASE provider address refused reason=%s", error.reason)
        raise InvalidInputError(
            f"The CASE provider address {url} was refused: {reason}. Nothing was imported."
        ) from None


def _get_json(session: requests.Session, url: str, policy: UrlPolicy) -> Any:
    _check_provider_url(url, policy)
    try:
        response = session.get(
            url,
            timeout=PROVIDER_TIMEOUT,
            headers={"Accept": "application/json"},
            allow_redirects=False,
            stream=True,
        )
    except requests.RequestException as error:
        raise InvalidInputError(
            f"Could not reach the CASE provider at {url} ({type(error).__name__}). "
            "Check the address, or try again later."
        ) from None
    with response:
        if response.status_code != 200:
            raise InvalidInputError(
                f"The CASE provider answered {response.status_code} for {url}; "
                "nothing was imported."
            )
        raw = response.raw.read(MAX_PACKAGE_BYTES + 1, decode_content=True)
    return parse_json(raw, url)


def provider_urls(url: str) -> tuple[str, str | None]:
    """(the provider's CASE base URL, a package id or None) from what an admin pasted.

    Accepts `…/ims/case/v1p0`, `…/ims/case/v1p0/CFDocuments` or `…/CFPackages/{sourcedId}`.

    Raises:
        InvalidInputError: not an http(s) URL of a CASE 1.0 provider.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise InvalidInputError("Give the CASE provider's address, starting with https://.")
    path = parts.path.rstrip("/")
    if CASE_PATH not in path:
        raise InvalidInputError(
            f"A CASE 1.0 provider's address contains {CASE_PATH}, e.g. "
            f"https://case.example.org{CASE_PATH}/CFDocuments."
        )
    head, _, tail = path.partition(CASE_PATH)
    base = f"{parts.scheme}://{parts.netloc}{head}{CASE_PATH}"
    segments = [s for s in tail.split("/") if s]
    if len(segments) == 2 and segments[0] in {"CFPackages", "CFDocuments"}:
        return base, segments[1]
    if segments in ([], ["CFDocuments"]):
        return base, None
    raise InvalidInputError(
        f"Use {base}/CFDocuments (every framework) or {base}/CFPackages/<identifier>."
    )


def fetch_provider_packages(
    url: str, policy: UrlPolicy = PUBLIC_PROVIDERS
) -> list[tuple[str, case.CaseFramework]]:
    """Every framework the URL names, fetched and parsed before anything is written.

    Every URL is checked against the policy before it is fetched, and redirects are not
    followed (no fetch from an internal address a teacher typed or a provider pointed to).

    Returns:
        (the package URL, the framework) pairs.

    Raises:
        InvalidInputError: the address is refused, the provider is unreachable, answers an
            error, or a package is bad.
    """
    base, package_id = provider_urls(url)
    with requests.Session() as session:
        if package_id is None:
            ids = [
                identifier
                for identifier, _ in case.parse_document_list(
                    _get_json(session, f"{base}/CFDocuments", policy)
                )
            ]
            if not ids:
                raise InvalidInputError("The CASE provider lists no frameworks (CFDocuments).")
        else:
            ids = [package_id]
        found = []
        for identifier in ids:
            package_url = f"{base}/CFPackages/{identifier}"
            try:
                framework = case.parse_package(_get_json(session, package_url, policy))
            except InvalidInputError as error:
                if str(error).startswith(package_url):
                    raise
                raise InvalidInputError(f"{package_url}: {error}") from None
            found.append((package_url, framework))
    return found


def import_framework(
    issuer: str, framework: case.CaseFramework, *, source: str, now: datetime
) -> ImportResult:
    """Write a parsed framework for an issuer: new items added, known ones updated in place.

    Items keep their rows (and so every target's link) across re-imports, matched by CASE
    identifier; items a newer version no longer lists are kept as retired. A linked target
    whose statement still is the item's old statement follows the new one; a teacher's own
    wording stays.
    """
    row = db.session.scalar(
        select(StandardsFramework).where(
            StandardsFramework.issuer == issuer,
            StandardsFramework.identifier == framework.identifier,
        )
    )
    is_new = row is None
    if row is None:
        row = StandardsFramework(issuer=issuer, identifier=framework.identifier, imported_at=now)
        db.session.add(row)
    row.title = framework.title
    row.creator = framework.creator
    row.version = framework.version
    row.adoption_status = framework.adoption_status
    row.source = source[:1000]
    row.updated_at = now
    existing = {item.identifier: item for item in row.items}
    created = updated = 0
    changed_statements: dict[str, tuple[str, str]] = {}
    for item in framework.items:
        current = existing.pop(item.identifier, None)
        if current is None:
            current = StandardItem(identifier=item.identifier, statement=item.statement)
            row.items.append(current)
            created += 1
        else:
            before = (current.statement, current.code, current.parent_identifier, current.position)
            if current.statement != item.statement:
                changed_statements[item.identifier] = (current.statement, item.statement)
            if before != (item.statement, item.code, item.parent, item.position) or (
                current.is_retired
            ):
                updated += 1
        current.statement = item.statement
        current.code = item.code
        current.item_type = item.item_type
        current.education_levels = list(item.education_levels)
        current.parent_identifier = item.parent
        current.position = item.position
        current.is_retired = False
    for gone in existing.values():
        gone.is_retired = True
    db.session.flush()
    _follow_statements(issuer, changed_statements)
    logger.info(
        "standards imported framework=%s created=%s updated=%s retired=%s",
        row.id,
        created,
        updated,
        len(existing),
    )
    return ImportResult(row, created, updated, len(existing), is_new)


def _follow_statements(issuer: str, changed: dict[str, tuple[str, str]]) -> None:
    if not changed:
        return
    linked = db.session.scalars(
        select(LearningTarget)
        .join(Course, Course.id == LearningTarget.course_id)
        .join(Platform, Platform.id == Course.platform_id)
        .where(Platform.issuer == issuer, LearningTarget.case_guid.in_(list(changed)))
    )
    for target in linked:
        old, new = changed[target.case_guid]
        old_statement, _ = case.target_statement(case.CaseItem(target.case_guid, old))
        if target.statement == old_statement:
            target.statement, description = case.target_statement(
                case.CaseItem(target.case_guid, new)
            )
            if description:
                target.description = description


def import_data(issuer: str, data: Any, *, source: str, now: datetime) -> list[ImportResult]:
    """Import one decoded CFPackage for an issuer.

    Raises:
        InvalidInputError: the package is malformed (nothing is written).
    """
    framework = case.parse_package(data)
    return [import_framework(issuer, framework, source=source, now=now)]


def import_from_provider(
    issuer: str, url: str, *, now: datetime, policy: UrlPolicy = PUBLIC_PROVIDERS
) -> list[ImportResult]:
    """Import every framework a provider URL names; all are fetched and checked first.

    Raises:
        InvalidInputError: the address is refused (`policy`), the provider is unreachable or a
            package is malformed (nothing is written).
    """
    packages = fetch_provider_packages(url, policy)
    return [import_framework(issuer, f, source=u, now=now) for u, f in packages]
