"""The hub's national job search: read the provinces' posting events from the federation's national store
and apply them to the hub's postings and index, from where the last run stopped. Safe to run again at any
time: the mark moves in the same transaction as what it covers, and a posting is stored once by its source key."""

from __future__ import annotations

from sqlalchemy.orm import Session

from renshe.federation import service as federation
from renshe.recruitment import service
from renshe.recruitment.models import NationalMark

MARK = "postings"
BATCH = 1000


def sync_national(session: Session, *, batches: int = 100) -> dict[str, int]:
    """Apply up to BATCHES × BATCH new events; returns how many were read, stored and closed."""
    mark = session.get(NationalMark, MARK) or NationalMark(name=MARK, last_event_id=0)
    session.add(mark)
    totals = {"read": 0, "stored": 0, "closed": 0}
    for _ in range(batches):
        events = federation.events_after(session, topics=(service.PUBLISHED_TOPIC, service.CLOSED_TOPIC),
                                         after_id=mark.last_event_id, limit=BATCH)
        if not events:
            break
        done = service.apply_national(session, [(province, topic, payload) for _, province, topic, payload in events])
        mark.last_event_id = events[-1][0]
        session.flush()
        totals["read"] += len(events)
        totals["stored"] += done["stored"]
        totals["closed"] += done["closed"]
    return totals
