"""The service's one error family: what went wrong, by meaning, never by transport.

Service modules raise these and know nothing of HTTP; the web layer maps each class to a
status code in one place (``api.web.errors``) and the command line prints any of them as
one line with exit code 2 (``api.cli.errors``). docs/architecture.md has the table.

    ServiceError
    ├── InvalidInput       the request itself is malformed or out of range      422
    │   ├── TooLarge       more than the service takes at once                  413
    │   └── Unsupported    a format the service does not read                   415
    ├── NotFound           no such thing, or not the caller's                   404
    ├── Forbidden          the caller may not do this                           403
    ├── Conflict           the current state does not allow it                  409
    │   └── ChainRefused   the registry refused (its custom error is named)     409
    ├── Gone               it existed but can no longer be used                 410
    └── Unavailable        something the service needs is missing or down       503
        └── ChainUnavailable   no chain, no usable key, or the node unreachable 503

Every message is one line fit for the caller: it names things, never keys or secrets.
"""

from __future__ import annotations

from ledger.errors import ChainError, ConfigurationError, InputError, RegistryRefused
from ledger.issuance import IssuerError


class ServiceError(Exception):
    """A business operation could not be done; nothing was changed."""


class InvalidInput(ServiceError):
    pass


class TooLarge(InvalidInput):
    pass


class Unsupported(InvalidInput):
    pass


class NotFound(ServiceError):
    pass


class Forbidden(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class ChainRefused(Conflict):
    pass


class Gone(ServiceError):
    """``state`` names why (for example ``expired``), for callers that answer with it."""

    def __init__(self, message: str, state: str = "gone") -> None:
        super().__init__(message)
        self.state = state


class Unavailable(ServiceError):
    """The service cannot do this here and now: a part it needs is not installed (a font
    for certificates) or does not answer. Nothing about the request is wrong."""


class ChainUnavailable(Unavailable):
    pass


def chain_failure(exc: Exception, unavailable: str = "the chain") -> ServiceError:
    """A failure met while acting on chain, by meaning. The registry's refusal, or an
    issuer or input that does not fit the chain's state, is a conflict; a setup that does
    not fit (a key file, another chain) or a node that failed leaves the service unable to
    act, and the message then starts with ``unavailable``."""
    if isinstance(exc, RegistryRefused):
        return ChainRefused(str(exc))
    if isinstance(exc, (ConfigurationError, OSError, ChainError)):
        return ChainUnavailable(f"{unavailable}: {exc}")
    if isinstance(exc, (InputError, IssuerError)):
        return ChainRefused(str(exc))
    raise TypeError(f"not a chain failure: {type(exc).__name__}")
