"""Every use of pylti1p3's internals, in one place.

Written against pylti1p3next 2.0.2 (import name `pylti1p3`). It relies on these private parts,
to be checked on every upgrade:

- `MessageLaunch._jwt` ({"header": …, "body": …} once `validate_jwt_format` ran),
  `MessageLaunch._registration` (the matched `Registration`, ours a `ToolRegistration`),
  `MessageLaunch._request`, `MessageLaunch._validated` and `MessageLaunch._get_id_token()`;
- `ServiceConnector._registration` (the registration the connector was built with).

The public API (the exceptions, `Request`, `MessageLaunch`'s validate_* steps) is used as
documented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pylti1p3.exception import LtiException, OIDCException, ToolConfException
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.request import Request
from pylti1p3.service_connector import ServiceConnector

from lti_pl.lti.id_token import verify_signature
from lti_pl.lti.jwks_cache import KeySetCache
from lti_pl.lti.launch_errors import LaunchError, reason_for_library_message
from lti_pl.lti.tool_config import DatabaseToolConf, RegistrationRecord


class _DictRequest(Request):
    """pylti1p3 request over the launch form; cookies are checked by us."""

    def __init__(self, params: Mapping[str, str]) -> None:
        super().__init__()
        self._params = params

    @property
    def session(self) -> dict[str, Any]:
        """Unused: state and nonce live in our store."""
        return {}

    def get_param(self, key: str) -> str | None:
        """A form parameter."""
        return self._params.get(key)

    def get_cookie(self, key: str) -> None:
        """Unused."""
        return None

    def is_secure(self) -> bool:
        """Unused."""
        return True


class _NoSession:
    """pylti1p3 insists on a session service; ours keeps nothing there."""

    def set_data_storage(self, storage: Any) -> None:
        pass


class _Launch(MessageLaunch):  # type: ignore[type-arg]
    """pylti1p3's message checks (registration, deployment, message claims); signature by us."""

    def __init__(
        self, params: Mapping[str, str], tool_conf: DatabaseToolConf, keys: KeySetCache
    ) -> None:
        super().__init__(
            _DictRequest(params), tool_conf, session_service=_NoSession(), cookie_service=object()
        )
        self._keys = keys

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)  # type: ignore[no-any-return]

    def validate_jwt_signature(self) -> _Launch:
        """Our signature check (`id_token.verify_signature`) in place of pylti1p3's."""
        verify_signature(
            self._keys,
            self._get_id_token(),
            self._jwt.get("header", {}),
            self._jwt["body"],
            self._registration.record,
        )
        return self

    def validate_all(self) -> None:
        """Run the checks in order; state and nonce were checked before."""
        self._validated = True
        self.validate_jwt_format()
        self.validate_registration()
        self.validate_jwt_signature()
        self.validate_deployment()
        self.validate_message()

    def body(self) -> dict[str, Any]:
        """The verified claims."""
        return self._jwt["body"]  # type: ignore[no-any-return]

    def record(self) -> RegistrationRecord:
        """The registration that matched."""
        return self._registration.record  # type: ignore[no-any-return]


def validate_message(
    params: Mapping[str, str], tool_conf: DatabaseToolConf, keys: KeySetCache
) -> tuple[RegistrationRecord, dict[str, Any]]:
    """pylti1p3's checks of a launch form's id_token: (matched registration, verified claims).

    Raises:
        LaunchError: every refusal, the library's exceptions mapped to a reason.
    """
    launch = _Launch(params, tool_conf, keys)
    try:
        launch.validate_all()
    except LaunchError:
        raise
    except (LtiException, OIDCException, ToolConfException) as error:
        raise LaunchError(reason_for_library_message(str(error)), type(error).__name__) from error
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        # pylti1p3 lets malformed claims escape as plain exceptions: a bad message, never a 500.
        raise LaunchError("bad_message", type(error).__name__) from error
    return launch.record(), launch.body()


def connector_registration(connector: ServiceConnector) -> Any:
    """The registration a pylti1p3 ServiceConnector was built with."""
    return connector._registration
