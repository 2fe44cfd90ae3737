"""Location of the published conformance vectors (shared/vectors beside the checkout)."""

from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parents[1].parent / "shared" / "vectors"


def vector_dir(*parts: str) -> Path:
    path = VECTORS.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"conformance vectors missing at {path}")
    return path
