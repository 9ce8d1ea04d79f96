"""Deep Linking 2.0 responses, built and signed with pylti1p3's DeepLink (tool's current key)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem as LtiLineItem

from lti_pl.extensions import db
from lti_pl.lti.tool_config import DatabaseToolConf, RegistrationRecord
from lti_pl.models.platforms import Platform

RESOURCE_LINK = "ltiResourceLink"
DATA_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/data"


class DeepLinkError(Exception):
    """The platform's deep-linking settings do not allow what the teacher picked."""


@dataclass(frozen=True)
class LineItemSpec:
    """The line item a content item asks the platform to create."""

    score_maximum: float
    label: str
    resource_id: str
    tag: str


@dataclass(frozen=True)
class ContentItem:
    """One ltiResourceLink to return."""

    title: str
    text: str = ""
    custom: Mapping[str, str] = field(default_factory=dict)
    line_item: LineItemSpec | None = None


@dataclass(frozen=True)
class DeepLinkSettings:
    """What the platform accepts, read from the request's deep_linking_settings claim."""

    return_url: str
    accept_types: tuple[str, ...]
    accept_multiple: bool
    accept_lineitem: bool
    data: Any
    has_data: bool

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> DeepLinkSettings:
        """Parse the claim (as stored in the session at launch)."""
        types = raw.get("accept_types")

        def flag(name: str, default: bool) -> bool:
            value = raw.get(name, default)
            return value if isinstance(value, bool) else str(value).lower() == "true"

        return cls(
            return_url=str(raw.get("deep_link_return_url") or ""),
            accept_types=tuple(t for t in types if isinstance(t, str))
            if isinstance(types, list)
            else (),
            # An absent accept_multiple is read as "no": one item (the conservative reading).
            accept_multiple=flag("accept_multiple", False),
            # An absent accept_lineitem means "no assumption" (LTI Deep Linking 2.0 §4.4.1):
            # the line item goes in unless the platform says false. Moodle 4.5 sends no flag
            # and creates the activity's grade item from it (mod/lti/locallib.php).
            accept_lineitem=flag("accept_lineitem", True),
            data=raw.get("data"),
            has_data="data" in raw,
        )

    @property
    def accepts_resource_links(self) -> bool:
        """Whether ltiResourceLink items are accepted."""
        return RESOURCE_LINK in self.accept_types


class _Resource(DeepLinkResource):
    """pylti1p3's resource with the optional `text` member."""

    _text: str = ""

    def set_text(self, value: str) -> _Resource:
        self._text = value
        return self

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        if self._text:
            data["text"] = self._text
        return {k: v for k, v in data.items() if v is not None}


class _DeepLink(DeepLink):
    """pylti1p3's DeepLink that echoes `data` only when the request carried it."""

    def __init__(self, registration: Any, deployment_id: str, settings: Any, has_data: bool):
        super().__init__(registration, deployment_id, settings)
        self._has_data = has_data

    def get_message_jwt(self, resources: Sequence[DeepLinkResource]) -> dict[str, object]:
        message = super().get_message_jwt(resources)
        if not self._has_data:
            message.pop(DATA_CLAIM, None)
        return message


def check_items(settings: DeepLinkSettings, items: Sequence[ContentItem]) -> list[ContentItem]:
    """Apply the platform's settings: types, multiple, line items.

    Raises:
        DeepLinkError: a choice the platform does not accept (message for the teacher).
    """
    if not settings.return_url:
        raise DeepLinkError("The LMS did not say where to send the selection.")
    if not settings.accepts_resource_links:
        raise DeepLinkError("This LMS placement does not accept tool links.")
    if not items:
        raise DeepLinkError("Choose at least one item to add.")
    if len(items) > 1 and not settings.accept_multiple:
        raise DeepLinkError("This LMS placement accepts one item only: choose one.")
    if not settings.accept_lineitem:
        items = [ContentItem(i.title, i.text, i.custom, None) for i in items]
    return list(items)


def signed_response(
    tool_conf: DatabaseToolConf,
    *,
    platform_id: int,
    deployment_id: str,
    settings: DeepLinkSettings,
    items: Sequence[ContentItem],
    launch_url: str,
) -> str:
    """The LtiDeepLinkingResponse JWT, signed with the tool's current key (kid in the header).

    Raises:
        DeepLinkError: unknown platform, or settings refusing the items.
    """
    platform = db.session.get(Platform, platform_id)
    if platform is None:
        raise DeepLinkError("This LMS registration no longer exists.")
    registration = tool_conf.registration(RegistrationRecord.of(platform))
    if deployment_id not in {d.deployment_id for d in platform.deployments}:
        raise DeepLinkError("This LMS deployment is no longer registered.")
    resources = []
    for item in check_items(settings, items):
        resource = _Resource().set_text(item.text[:1000])
        resource.set_type(RESOURCE_LINK).set_title(item.title[:255]).set_url(launch_url)
        if item.custom:
            resource.set_custom_params(dict(item.custom))
        if item.line_item is not None:
            spec = item.line_item
            resource.set_lineitem(
                LtiLineItem()
                .set_score_maximum(spec.score_maximum)  # type: ignore[arg-type]
                .set_label(spec.label[:255])
                .set_resource_id(spec.resource_id)
                .set_tag(spec.tag)
            )
        resources.append(resource)
    raw_settings = {"deep_link_return_url": settings.return_url, "data": settings.data}
    deep_link = _DeepLink(registration, deployment_id, raw_settings, settings.has_data)
    return str(deep_link.get_response_jwt(resources))


def request_record(
    course_id: int, platform_id: int, deployment_id: str, settings: Mapping[str, Any]
) -> dict[str, Any]:
    """A deep-linking request as the session keeps it between the launch and the picker."""
    return {
        "course_id": course_id,
        "platform_id": platform_id,
        "deployment_id": deployment_id,
        "settings": dict(settings),
    }


def answer_request(
    tool_conf: DatabaseToolConf,
    record: Mapping[str, Any],
    items: Sequence[ContentItem],
    *,
    launch_url: str,
) -> str:
    """The signed LtiDeepLinkingResponse to a request kept by `request_record`.

    Raises:
        DeepLinkError: unknown platform, or the request's settings refusing the items.
    """
    return signed_response(
        tool_conf,
        platform_id=int(record["platform_id"]),
        deployment_id=str(record["deployment_id"]),
        settings=DeepLinkSettings.of(record.get("settings") or {}),
        items=items,
        launch_url=launch_url,
    )
