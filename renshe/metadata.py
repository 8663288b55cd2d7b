"""Every table of every capability, for Alembic and the models-versus-migrations test."""

from __future__ import annotations

from sqlalchemy import MetaData

from renshe.agencies import models as agencies_models
from renshe.archives import models as archives_models
from renshe.card import models as card_models
from renshe.certs import models as certs_models
from renshe.contracts import models as contracts_models
from renshe.core import models as core_models
from renshe.core.db import Base
from renshe.federation import models as federation_models
from renshe.hall import models as hall_models
from renshe.insurance import models as insurance_models
from renshe.keygroups import models as keygroups_models
from renshe.pension import models as pension_models
from renshe.recruitment import models as recruitment_models
from renshe.registry import models as registry_models
from renshe.sharing import models as sharing_models
from renshe.subsidies import models as subsidies_models
from renshe.transfer import models as transfer_models
from renshe.unemployment import models as unemployment_models
from renshe.wages import models as wages_models

MODEL_MODULES = (core_models, registry_models, sharing_models, federation_models, certs_models, card_models,
                 hall_models, insurance_models, pension_models, transfer_models,
                 unemployment_models, subsidies_models, recruitment_models, agencies_models,
                 wages_models, contracts_models, keygroups_models, archives_models)
metadata: MetaData = Base.metadata
