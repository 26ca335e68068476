"""Root pytest configuration: makes the repository importable and loads the shared fixtures.

The fixtures (pg_admin_url, kafka_bootstrap, provision_service) live in tests/infra/fixtures.py.
"""

import sys
from pathlib import Path

# --import-mode=importlib leaves sys.path alone; the shared fixtures import as `tests.infra.*`.
_ROOT = str(Path(__file__).resolve().parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

pytest_plugins = ["tests.infra.fixtures", "tests.platform_fixtures"]
