# Unit tests for src/core.mk modules.
