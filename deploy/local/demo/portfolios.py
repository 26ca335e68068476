"""The demo organisation: three portfolios of a retail bank (in loading order)."""

from __future__ import annotations

from .data_analytics import DATA_ANALYTICS
from .digital_channels import DIGITAL_CHANNELS
from .model import Portfolio
from .platform_infrastructure import PLATFORM_INFRASTRUCTURE

PORTFOLIOS: tuple[Portfolio, ...] = (DIGITAL_CHANNELS, DATA_ANALYTICS, PLATFORM_INFRASTRUCTURE)
"""Dependencies cross portfolios; the loader declares them once every initiative exists."""
