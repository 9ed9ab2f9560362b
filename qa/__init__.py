"""Domain logic for QA pairs, shared by the CLI, the web app and the tests; imports no Flask."""
