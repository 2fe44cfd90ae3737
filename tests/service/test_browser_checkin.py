"""In a real browser with a fake camera: the learner's phone scans the venue's code; the
operator's page scans a learner's code, live and from its offline queue; the learner's code
refreshes itself.

Chromium (the system's, as in test_browser) is started with a fake camera that plays a
one-frame Y4M video of a QR code (written with segno); the pages read it with jsQR.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.service import learning_code
from api.service.accounts import create_api_key, open_learner_account
from api.service.context import Service
from api.service.models import CheckIn, Learner

from . import checkin_fixtures as fx
from .test_browser import (  # noqa: F401
    CHROMIUM,
    CHROMIUM_ARGS,
    qr_video,
    served,
    shoot,
    sign_in_page,
)

POLL = 200  # tenths of a second at most, waiting for the camera and the service


@contextmanager
def camera_browser(video: Path, served_at: str) -> Iterator[object]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install it to run the browser tests")
    from playwright.sync_api import sync_playwright

    camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=CHROMIUM_ARGS + camera)
        try:
            context = chromium.new_context(locale="zh-CN")
            context.grant_permissions(["camera"], origin=served_at)
            yield context
        finally:
            chromium.close()


def _checkins(service: Service) -> list[CheckIn]:
    with service.db.session() as session:
        rows = list(session.scalars(select(CheckIn)))
        session.expunge_all()
        return rows


def _wait(page, check) -> None:
    for _ in range(POLL):  # the pages forbid eval: poll from here
        if check():
            return
        page.wait_for_timeout(100)


def _learner(service: Service) -> int:
    open_learner_account(service, "zhangwei", "310101199001011234", fx.PASSWORD, "张伟")
    with service.db.session() as session:
        return session.scalars(select(Learner.id)).one()


def test_the_learner_scans_the_venues_code_with_the_phone(
        served: str, client: TestClient, service: Service, governor: dict[str, str],  # noqa: F811
        tmp_path: Path):
    world = fx.venues(client, service, governor)
    activity_id = fx.activity(client, world.operator)
    _learner(service)
    service.settings.venue_code_seconds = 600  # the video is made before the browser starts
    code, _ = learning_code.issue_venue_code(service, activity_id)
    with camera_browser(qr_video(code, tmp_path / "venue.y4m"), served) as context:
        page = context.new_page()
        sign_in_page(page, served)
        service.settings.learner_code_seconds = 6  # a fresh code every 4 s
        page.goto(f"{served}/account/code")
        first = page.get_attribute("#code-qr", "src")
        assert first.startswith("data:image/svg+xml")
        # the page fetches a fresh code by itself before the one shown expires
        _wait(page, lambda: page.get_attribute("#code-qr", "src") != first)
        assert page.get_attribute("#code-qr", "src") != first
        shoot(page, "learning-code")  # fits a 390 px phone
        page.goto(f"{served}/account/scan")
        shoot(page, "learning-code-scan")
        page.click("#scan")
        page.wait_for_selector("#checkin-result", timeout=POLL * 100)
        assert page.get_attribute("#checkin-result", "data-result") == "accepted"
    rows = _checkins(service)
    assert [(r.activity_id, r.method) for r in rows] == [(activity_id, "learner_scan")]


def _operator_page(context, served_at: str, token: str, activity_id: str):
    page = context.new_page()
    page.goto(f"{served_at}/venue/login")
    page.fill("input[name=api_key]", token)
    page.click("form[action='/venue/login'] button[type=submit]")
    page.wait_for_url(f"{served_at}/venue")
    page.goto(f"{served_at}/venue/scan?activity={activity_id}")
    return page


def test_the_operator_scans_a_learners_code_with_the_camera(
        served: str, client: TestClient, service: Service, governor: dict[str, str],  # noqa: F811
        tmp_path: Path):
    fx.venues(client, service, governor)
    token = create_api_key(service, "operator", None, "desk", venue_slug="xuhui-school")
    activity_id = fx.activity(client, fx.bearer(token))
    service.settings.learner_code_seconds = 600
    code, _ = learning_code.issue_learner_code(service, _learner(service))
    with camera_browser(qr_video(code, tmp_path / "learner.y4m"), served) as context:
        page = _operator_page(context, served, token, activity_id)
        shoot(page, "venue-scan")
        page.click("#scan")
        page.wait_for_selector("#results li", timeout=POLL * 100)
        assert page.get_attribute("#results li", "data-result") == "accepted"
        assert page.inner_text("#queue-count") == "0"
        page.goto(f"{served}/venue/activities/{activity_id}/display")
        assert page.get_attribute("#code-qr", "src").startswith("data:image/svg+xml")
        shoot(page, "venue-display")
    rows = _checkins(service)
    assert [(r.activity_id, r.method) for r in rows] == [(activity_id, "operator_scan")]
    assert rows[0].queued_signature  # signed on the device


def test_offline_scans_wait_in_the_queue_and_are_sent_when_back_online(
        served: str, client: TestClient, service: Service, governor: dict[str, str],  # noqa: F811
        tmp_path: Path):
    fx.venues(client, service, governor)
    token = create_api_key(service, "operator", None, "desk", venue_slug="xuhui-school")
    activity_id = fx.activity(client, fx.bearer(token))
    service.settings.learner_code_seconds = 600
    code, _ = learning_code.issue_learner_code(service, _learner(service))
    with camera_browser(qr_video(code, tmp_path / "learner.y4m"), served) as context:
        page = _operator_page(context, served, token, activity_id)
        context.set_offline(True)
        page.click("#scan")
        _wait(page, lambda: page.inner_text("#queue-count") == "1")
        assert page.inner_text("#queue-count") == "1"
        # a card typed in while offline joins the queue too (it is not a real card: refused)
        page.fill("#typed-code", "AAAA-BBBB-CCCC-DDDD")
        page.click("#typed button[type=submit]")
        _wait(page, lambda: page.inner_text("#queue-count") == "2")
        assert page.inner_text("#queue-count") == "2"
        assert _checkins(service) == []  # nothing reached the service
        context.set_offline(False)
        page.click("#flush")
        _wait(page, lambda: page.inner_text("#queue-count") == "0")
        assert page.inner_text("#queue-count") == "0"
        results = page.locator("#results li[data-result]")
        texts = [results.nth(i).inner_text() for i in range(results.count())]
        assert any("智能手机课" in t for t in texts)
        assert any("no such learner's card" in t for t in texts)
    rows = _checkins(service)
    assert [(r.activity_id, r.method) for r in rows] == [(activity_id, "operator_scan")]
    assert rows[0].recorded_at >= rows[0].checked_in_at and rows[0].queued_signature
