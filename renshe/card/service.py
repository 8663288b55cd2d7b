"""The public surface of the social security card (社会保障卡) and the electronic SSC (电子社保卡).

Other domains, the routes and the commands use the card through this module; the rules live in the
sub-features, one subpackage each, and only they write the card tables:

- `lifecycle`: application, issue, activation, loss, release, cancellation, replacement;
- `production`: batches sent to the card maker and the maker's return; the demo's cards;
- `essc`: the card's signing keys, the e-SSC and its dynamic code; the `ssc-status` sharing answer;
- `terminals`: scan terminals, use scenarios and the scan itself;
- `apps`: third-party apps and e-SSC sign-in;
- `payments`: benefits paid into the card.

Who may do what is decided in `renshe.card.policy`; settings are the `essc_*` block of
`renshe.core.settings.Settings`; the clock every time rule reads is `renshe.card.common.clock`.
"""

from __future__ import annotations

from renshe.card.apps.service import (
    app_out,
    app_sign_in_request,
    authenticate_app,
    decide_sign_in,
    list_apps,
    pairwise_subject,
    pending_sign_in,
    register_app,
    sign_in_out,
    start_sign_in,
)
from renshe.card.common import (
    APP_KINDS,
    APP_SCOPES,
    BANK_PURPOSE,
    BANKS,
    CARD_NUMBER_PURPOSE,
    PROGRAMMES,
    SIGN_IN_MINUTES,
    code_seconds,
)
from renshe.card.essc.keys import public_keys, rotate_key, signing_key
from renshe.card.essc.service import (
    IssuedCode,
    card_status_answer,
    essc_of,
    essc_out,
    issue_code,
    issue_essc,
    my_essc,
    qr_svg_data_uri,
    sign_code,
)
from renshe.card.lifecycle.service import (
    apply_for_card,
    card_out,
    cards_of,
    citizen_person,
    get_card,
    list_cards,
    live_card,
    move,
    my_card,
    person_of,
    replace_card,
)
from renshe.card.payments.service import (
    credit_benefit,
    credit_benefits_from,
    payment_out,
    payment_statuses,
    payments_by_reference,
    payments_of,
)
from renshe.card.production.service import (
    batch_cards,
    batch_out,
    create_batch,
    get_batch,
    list_batches,
    luhn_digit,
    mark_batch_produced,
    mask_card_number,
    seed_demo,
)
from renshe.card.terminals.scan import (
    REFUSALS,
    ScanOutcome,
    purge_used_nonces,
    refusal,
    scan,
    scan_at_terminal,
    scan_history,
)
from renshe.card.terminals.scenarios import scenario_allowed, scenario_catalog, scenario_label, scenarios, set_scenario
from renshe.card.terminals.service import (
    ScanTerminal,
    authenticate_terminal,
    last_scans,
    list_terminals,
    register_terminal,
    set_terminal_active,
    terminal_out,
)
from renshe.sharing import service as sharing

__all__ = [
    "APP_KINDS", "APP_SCOPES", "BANKS", "BANK_PURPOSE", "CARD_NUMBER_PURPOSE", "PROGRAMMES", "REFUSALS",
    "SIGN_IN_MINUTES", "IssuedCode", "ScanOutcome", "ScanTerminal", "app_out", "app_sign_in_request",
    "apply_for_card", "authenticate_app", "authenticate_terminal", "batch_cards", "batch_out", "card_out",
    "card_status_answer", "cards_of", "citizen_person", "code_seconds", "create_batch", "credit_benefit",
    "credit_benefits_from", "decide_sign_in", "essc_of", "essc_out", "get_batch", "get_card", "issue_code",
    "issue_essc", "last_scans",
    "list_apps", "list_batches", "list_cards", "list_terminals", "live_card", "luhn_digit", "mark_batch_produced",
    "mask_card_number", "move", "my_card", "my_essc", "pairwise_subject", "payment_out",
    "payment_statuses", "payments_by_reference", "payments_of",
    "pending_sign_in", "person_of", "public_keys", "purge_used_nonces", "qr_svg_data_uri", "refusal",
    "register_app", "register_terminal", "replace_card", "rotate_key", "scan", "scan_at_terminal", "scan_history",
    "scenario_allowed",
    "scenario_catalog", "scenario_label", "scenarios", "seed_demo", "set_scenario", "set_terminal_active",
    "sign_code", "sign_in_out", "signing_key", "start_sign_in", "terminal_out",
]

sharing.register_answer("ssc-status", card_status_answer)
