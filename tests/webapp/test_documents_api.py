"""`/api/documents`: real PDF, DOCX and text uploads, typed 4xx errors, chunk paging, re-chunking, deletion."""

from __future__ import annotations

import io

from tests.qa.documents.files import encrypted_pdf, flowing_pdf, lines_pdf, make_docx

PARAGRAPHS = [f"Paragraph {i} tells how the river number {i} floods the valley every spring. " * 3
              for i in range(1, 13)]


def upload(client, name: str, data: bytes, **fields):
    return client.post("/api/documents", data={"file": (io.BytesIO(data), name), **fields},
                       content_type="multipart/form-data")


def test_a_pdf_upload_is_read_chunked_and_listed(client):
    response = upload(client, "rivers.pdf", flowing_pdf(PARAGRAPHS), chunk_size="400")
    assert response.status_code == 201, response.json
    doc = response.json
    assert (doc["kind"], doc["chunk_size"], doc["chunk_overlap"]) == ("pdf", 400, 0)
    assert doc["pages"] >= 1 and doc["chars"] > 2000 and doc["chunks"] >= 5
    listed = client.get("/api/documents").json
    assert listed["total"] == 1 and listed["data"][0]["id"] == doc["id"]
    assert listed["defaults"]["chunk_size"] > 0
    assert client.get(f"/api/documents/{doc['id']}").json == doc

    first = client.get(f"/api/documents/{doc['id']}/chunks?limit=2").json
    rest = client.get(f"/api/documents/{doc['id']}/chunks?offset=2&limit=200").json
    chunks = first["data"] + rest["data"]
    assert first["total"] == doc["chunks"] == len(chunks)
    assert [c["index"] for c in chunks] == list(range(doc["chunks"]))
    assert all(len(c["text"]) <= 400 and c["end"] - c["start"] == len(c["text"]) for c in chunks)
    assert "river number 12" in chunks[-1]["text"]


def test_docx_and_json_text(client):
    docx = upload(client, "notes.docx", make_docx(["A first paragraph about tides.", "A second one about moons."]))
    assert docx.status_code == 201 and docx.json["kind"] == "docx" and docx.json["chunks"] == 1
    text = client.post("/api/documents", json={"name": "pasted.md", "text": "# Title\n\nSome text.",
                                               "chunk_size": 60, "chunk_overlap": 10})
    assert text.status_code == 201
    assert (text.json["kind"], text.json["chunk_size"], text.json["chunk_overlap"]) == ("md", 60, 10)


def test_what_cannot_be_read_is_a_4xx_that_says_why(client):
    locked = upload(client, "locked.pdf", encrypted_pdf(lines_pdf([["Secret text here."]]), user_password="pw"))
    assert locked.status_code == 422 and "password" in locked.json["error"]["message"].lower()
    scanned = upload(client, "scan.pdf", lines_pdf([[]], image=True))
    assert scanned.status_code == 422 and scanned.json["error"]["param"] == "file"
    odd = upload(client, "image.png", b"\x89PNG\r\n\x1a\nxxxx")
    assert odd.status_code == 415
    liar = upload(client, "report.pdf", b"just some text, not a PDF")
    assert liar.status_code in (415, 422) and liar.json["error"]["message"]
    missing = client.post("/api/documents", data={"other": "x"}, content_type="multipart/form-data")
    assert missing.status_code == 400 and missing.json["error"]["param"] == "file"
    blank = client.post("/api/documents", json={"name": "x", "text": "   "})
    assert blank.status_code == 400
    bad_overlap = client.post("/api/documents", json={"name": "x", "text": "y", "chunk_size": 100,
                                                      "chunk_overlap": 90})
    assert bad_overlap.status_code == 400
    assert client.get("/api/documents").json["total"] == 0


def test_rechunk_and_delete(client):
    doc = client.post("/api/documents", json={"name": "long.txt", "text": "\n\n".join(PARAGRAPHS)}).json
    smaller = client.patch(f"/api/documents/{doc['id']}", json={"chunk_size": 300, "chunk_overlap": 50})
    assert smaller.status_code == 200
    assert smaller.json["chunks"] > doc["chunks"] and smaller.json["chunk_overlap"] == 50
    assert client.get(f"/api/documents/{doc['id']}/chunks").json["total"] == smaller.json["chunks"]
    assert client.patch(f"/api/documents/{doc['id']}", json={"chunk_size": 10}).status_code == 400
    assert client.delete(f"/api/documents/{doc['id']}").status_code == 204
    assert client.get(f"/api/documents/{doc['id']}").status_code == 404
    assert client.delete(f"/api/documents/{doc['id']}").status_code == 404
    assert client.get("/api/documents/99999999999999999999/chunks").status_code == 404
    assert client.get("/api/documents?limit=100000").status_code == 400


def test_chunks_sized_for_a_local_model_count_its_tokens(client):
    doc = client.post("/api/documents", json={"name": "t.txt", "text": "\n\n".join(PARAGRAPHS), "chunk_size": 60,
                                              "model": "chatglm"}).json
    chunks = client.get(f"/api/documents/{doc['id']}/chunks?limit=200").json["data"]
    assert len(chunks) == doc["chunks"] > 1
    assert client.post("/api/documents", json={"name": "t", "text": "x", "model": "nope"}).status_code == 404


def test_the_documents_page_renders(client):
    page = client.get("/documents")
    assert page.status_code == 200 and b"documents.js" in page.data
