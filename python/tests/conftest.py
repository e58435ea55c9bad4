import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def shipped_model():
    return REPO / "models" / "tang_lstm.safetensors"


@pytest.fixture(scope="session")
def rnnkit_cli():
    """The command-line binary of the same build (ctest passes it), for reference figures."""
    path = pathlib.Path(os.environ.get("RNNKIT_CLI", REPO / "build" / "release" / "rnnkit"))
    if not path.exists():
        pytest.skip(f"no rnnkit binary at {path}")
    return path
