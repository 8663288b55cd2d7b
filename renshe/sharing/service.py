"""The data-sharing domain's public surface, gathered from its sub-features. After X-Road: every call is
logged, a consumer sees only what it was granted.

- `catalog`: the national base and local resources, their versions, the catalog export;
- `consumers`: consumer applications, their grants and limits, client-credentials sign-in;
- `gateway`: the request path (cached consumer state, rate and quota, identity check);
- `recorder`: writing the call log (queued, in groups) and the day counters;
- `calls`: searching, exporting, purging and charting the call log;
- `answers`: status queries about a person, registered by each capability;
- `prefill`: once-only prefill with provenance;
- `policy`: who may do what.

Other domains import this module (`renshe.sharing.service`), never the sub-modules.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from renshe.sharing import schemas
from renshe.sharing.answers import Answer, answerable, query_person, register_answer
from renshe.sharing.calls import (
    CALL_COLUMNS,
    CallFilter,
    ConsumerStats,
    Lookup,
    call_log,
    call_stats,
    export_calls,
    lookups_of,
    purge_calls,
    search_calls,
)
from renshe.sharing.catalog import (
    CATALOG_DATE,
    EDITABLE,
    EXPORT_COLUMNS,
    ITEM_TYPES,
    MINISTRY_CODE,
    MINISTRY_NAME,
    SHANGHAI,
    SHORT_NAME,
    LocalResource,
    add_local_resource,
    allowed_resources,
    catalog,
    ensure_national_catalog,
    export_catalog,
    get_resource,
    national_catalog,
    parse_items,
    resource_history,
    resource_out,
    update_local_resource,
)
from renshe.sharing.consumers import (
    TOKEN_MINUTES,
    ConsumerView,
    add_consumer,
    authenticate_consumer,
    consumers,
    issue_consumer_token,
    revoke_token,
    revoke_tokens,
    set_limits,
)
from renshe.sharing.gateway import Authorised, ConsumerState, Subject, authorise, identity_result, subject_of
from renshe.sharing.gateway import reset as reset_limits
from renshe.sharing.prefill import PREFILL_FIELDS, Prefilled, prefill
from renshe.sharing.recorder import log_call

__all__ = [
    "CALL_COLUMNS", "CATALOG_DATE", "EDITABLE", "EXPORT_COLUMNS", "ITEM_TYPES", "MINISTRY_CODE", "MINISTRY_NAME",
    "PREFILL_FIELDS", "SHANGHAI", "SHORT_NAME", "TOKEN_MINUTES", "Answer", "Authorised", "CallFilter",
    "ConsumerState", "ConsumerStats", "ConsumerView", "LocalResource", "Lookup", "Prefilled", "Subject",
    "add_consumer", "add_local_resource", "allowed_resources", "answerable", "authenticate_consumer", "authorise",
    "call_log", "call_stats", "catalog", "consumers", "ensure_national_catalog", "export_calls", "export_catalog",
    "get_resource", "identity_result", "issue_consumer_token", "log_call", "lookups_of", "national_catalog",
    "parse_items", "prefill", "purge_calls", "query_person", "register_answer", "reset_limits", "resource_history",
    "resource_out", "revoke_token", "revoke_tokens", "search_calls", "set_limits", "subject_of",
    "update_local_resource", "verify_identity",
]


def verify_identity(session: Session, *, query: schemas.IdentityQuery) -> schemas.IdentityResult:
    """Compare a name and ID number with the person base; never reveal the stored name."""
    return schemas.IdentityResult(result=identity_result(session, subject=subject_of(query.id_number),
                                                         name=query.name))
