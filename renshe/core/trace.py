"""The explanation trace every computed amount carries: one `Step` per intermediate value, with its
formula, inputs and the document its parameter comes from (pension, contributions, interest, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class Step:
    """One line of an explanation: what was computed (English name, Chinese label), how, from what,
    to what value, and on whose authority (the source document)."""

    name: str
    label: str
    formula: str
    inputs: dict[str, str]
    value: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "formula": self.formula, "inputs": dict(self.inputs),
                "value": self.value, "source": self.source}


def show(value: Decimal, places: int = 4) -> str:
    """A decimal for a trace: as it is when it has at most `places` places, else half-up to `places`."""
    for candidate in (value, value.normalize()):
        exponent = candidate.as_tuple().exponent
        if isinstance(exponent, int) and -exponent <= places:
            return format(candidate, "f")
    return format(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")


class StepOut(BaseModel):
    """A trace step in an API answer (the same fields as `Step`)."""

    name: str = Field(description="Step name (English)")
    label: str = Field(description="步骤（中文）")
    formula: str
    inputs: dict[str, str]
    value: str
    source: str = Field(description="参数来源文件")

    @classmethod
    def of(cls, step: Step) -> StepOut:
        return cls(**step.as_dict())
