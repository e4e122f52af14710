"""Error types. Every error about a value is a ``ValueError`` so callers can catch broadly."""

from __future__ import annotations

__all__ = [
    "InclusionGeoError",
    "MissingColumnsError",
    "UnknownCodeError",
    "VintageMismatchError",
    "DataQualityError",
    "DownloadError",
]


class InclusionGeoError(ValueError):
    """Base class for every error raised by inclusion_geo about its inputs."""


class MissingColumnsError(InclusionGeoError):
    """A frame or file lacks columns that the step needs."""


class UnknownCodeError(InclusionGeoError):
    """Area codes that are not of the expected geography, or not in the study area."""


class VintageMismatchError(InclusionGeoError):
    """Frames on different geography vintages (e.g. LSOA 2011 and LSOA 2021) were combined."""


class DataQualityError(InclusionGeoError):
    """Values that cannot be used as they are: missing, non-numeric, zero population, invalid geometry."""


class DownloadError(InclusionGeoError):
    """A download failed, was truncated, or does not match its registered hash."""
