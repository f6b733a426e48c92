from django.core.management import call_command


def test_openapi_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in (
        "/api/v1/cases/",
        "/api/v1/cases/{reference}/transition/",
        "/api/v1/recharge-orders/",
    ):
        assert f"{path}:" in text


def test_docs_page_loads_its_script_from_static_files(client, django_user_model):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-dist" in html or "drf_spectacular_sidecar" in html
    assert "<script>" not in html.replace(" ", "")  # no inline script under the CSP
