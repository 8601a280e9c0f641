"""LucoPy's module path for its exceptions (``from LucoPy.exceptions import ApiException``),
kept so that scripts work after swapping the package name."""

from luco_client.luco._errors import ApiException, AuthException, DataQualityException

__all__ = ["ApiException", "AuthException", "DataQualityException"]
