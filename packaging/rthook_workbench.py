"""PyInstaller runtime hook for the frozen workbench. Layer: packaging.

Runs before any application code in the frozen app. litellm must never fetch its model price map
from the network at import time and must not send telemetry; the app sets these itself before it
imports litellm, and this hook makes them the default for the whole frozen process as well (an
explicit value in the user's environment still wins).
"""

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_TELEMETRY", "False")
