# Personas and factories shared by every test folder.
pytest_plugins = ["kaifang.core.testing"]
