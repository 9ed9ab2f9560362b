"""The page's views, one template each under `templates/` (extending base.html) with its own script in `static/`."""

from flask import Blueprint, render_template

from webapp.openapi import endpoint

bp = Blueprint("pages", __name__)

#: (name, endpoint, label key) of every view, in the order of the header's links.
VIEWS = [
    ("chat", "pages.index", "navChat"),
    ("documents", "pages.documents", "navDocuments"),
    ("jobs", "pages.jobs", "navJobs"),
    ("review", "pages.review", "navReview"),
    ("train", "pages.train", "navTrain"),
]


def render_view(template: str, view: str, script: str):
    return render_template(template, view=view, script=script, views=VIEWS)


@bp.get("/")
@endpoint("The chat view", responses={200: {"type": "string"}}, produces="text/html", tags=("pages",))
def index():
    return render_view("index.html", "chat", "app.js")


@bp.get("/documents")
@endpoint("The documents view", responses={200: {"type": "string"}}, produces="text/html", tags=("pages",))
def documents():
    return render_view("documents.html", "documents", "documents.js")


@bp.get("/jobs")
@endpoint("The jobs view", responses={200: {"type": "string"}}, produces="text/html", tags=("pages",))
def jobs():
    return render_view("jobs.html", "jobs", "jobs.js")


@bp.get("/review")
@endpoint("The review view", responses={200: {"type": "string"}}, produces="text/html", tags=("pages",))
def review():
    return render_view("review.html", "review", "review.js")


@bp.get("/train")
@endpoint("The train view", responses={200: {"type": "string"}}, produces="text/html", tags=("pages",))
def train():
    return render_view("train.html", "train", "train.js")
