"""`/openapi.json` describes every route, from the same pydantic models the routes validate with."""

from __future__ import annotations

from webapp.openapi import _RULE_ARG


def test_every_route_is_described_and_declares_what_it_reads(app, client):
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    described = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        assert hasattr(view, "openapi"), f"{rule.rule} has no @endpoint: it is neither validated nor described"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((_RULE_ARG.sub(r"{\2}", rule.rule), method.lower()))
    assert described == routes


def test_request_bodies_are_the_validating_models(client):
    spec = client.get("/openapi.json").json
    schemas = spec["components"]["schemas"]
    ask = spec["paths"]["/ask"]["post"]["requestBody"]["content"]
    assert set(ask) == {"application/json", "application/x-www-form-urlencoded"}
    assert ask["application/json"]["schema"] == {"$ref": "#/components/schemas/AskRequest"}
    question = schemas["AskRequest"]["properties"]["question"]
    assert question["minLength"] == 1 and "question" in schemas["AskRequest"]["required"]
    completions = spec["paths"]["/v1/chat/completions"]["post"]["requestBody"]["content"]
    assert set(completions) == {"application/json"}  # JSON only
    messages = schemas["ChatCompletionRequest"]["properties"]["messages"]
    assert messages["maxItems"] == 256
    prompt = schemas["PromptIn"]["properties"]
    assert prompt["name"]["maxLength"] == 100 and prompt["text"]["maxLength"] == 20000


def test_every_operation_documents_the_error_shape(client):
    spec = client.get("/openapi.json").json
    assert spec["components"]["schemas"]["Error"]["required"] == ["error"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op["responses"]["4XX"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}, (path, method)
            assert op["operationId"] and op["summary"]


def test_path_parameters_are_typed(client):
    spec = client.get("/openapi.json").json
    params = spec["paths"]["/api/prompts/{prompt_id}"]["get"]["parameters"]
    assert params == [{"name": "prompt_id", "in": "path", "required": True,
                       "schema": {"type": "string", "minLength": 1}}]
