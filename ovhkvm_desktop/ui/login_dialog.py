"""Add an OVHcloud account: the consumer-key flow of cloud/login.py in a dialog — ask for a
consumer key, let the user grant it on OVHcloud's page (with a countdown), store the profile
with its secrets in the keyring, as `ovhkvm-desktop login` does."""

from __future__ import annotations

import html
import threading
import webbrowser
from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ovhkvm_desktop.cloud import login as flow
from ovhkvm_desktop.config import DEFAULT_PROFILE, ENDPOINTS, Profile, Settings, check_profile_name
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.secrets import Secrets
from ovhkvm_desktop.ui.background import Background, in_words
from ovhkvm_desktop.ui.text import QT_TRANSLATE_NOOP, PlainLabel
from ovhkvm_desktop.words import _

#: How the endpoints read in the list (python-ovh's names after them).
ENDPOINT_NAMES = {
    "ovh-eu": "OVHcloud Europe",
    "ovh-ca": "OVHcloud Canada",
    "ovh-us": QT_TRANSLATE_NOOP("LoginDialog", "OVHcloud US"),
    "kimsufi-eu": "Kimsufi Europe",
    "kimsufi-ca": "Kimsufi Canada",
    "soyoustart-eu": "So you Start Europe",
    "soyoustart-ca": "So you Start Canada",
}


def create_app_url(endpoint: str) -> str | None:
    """The page where an application key and secret are created for ``endpoint``."""
    import ovh.client

    base = ovh.client.ENDPOINTS.get(endpoint)
    if not base:
        return None
    return base.rsplit("/1.0", 1)[0] + "/createApp/"


def wait_and_store(
    pending: flow.PendingLogin,
    name: str,
    *,
    open_browser: bool,
    timeout: float,
    interval: float,
    cancelled: threading.Event,
    on_wait: Callable[[float], None],
    say: Callable[[str], None],
) -> str:
    """Open the validation page, wait until the consumer key is granted, store the profile and
    its secrets (blocking); what to tell the user."""
    if open_browser and not webbrowser.open(pending.validation_url):
        say(
            QCoreApplication.translate(
                "LoginDialog", "No browser could be started: open the link above."
            )
        )
    credentials = flow.wait_for_validation(
        pending,
        timeout=timeout,
        interval=interval,
        on_wait=on_wait,
        cancelled=cancelled,
        name=name,
    )
    if cancelled.is_set():
        raise flow.LoginFailed(_("login cancelled"))
    secrets = Secrets()
    profile = flow.save_profile(Settings(), secrets, name, credentials)
    if secrets.persistent:
        message = QCoreApplication.translate(
            "LoginDialog",
            "Logged in: profile {profile} on {endpoint}; secrets in the keyring ({keyring}).",
        ).format(profile=profile.name, endpoint=profile.endpoint, keyring=secrets.backend_name)
    else:
        message = QCoreApplication.translate(
            "LoginDialog", "Logged in: profile {profile} on {endpoint}; secrets in memory only."
        ).format(profile=profile.name, endpoint=profile.endpoint)
    if secrets.notice:
        message += f" {secrets.notice[:1].upper()}{secrets.notice[1:]}."
    return message


class LoginDialog(QDialog):
    """Logs an OVHcloud account in as a profile; ``logged_in(profile, message)`` when stored."""

    logged_in = Signal(str, str)

    def __init__(
        self,
        background: Background,
        parent: QWidget | None = None,
        *,
        profile: Profile | None = None,
        existing: Sequence[str] = (),
        poll_interval: float = flow.POLL_INTERVAL,
        timeout: float = flow.VALIDATION_TIMEOUT,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add an OVHcloud account — ovhkvm-desktop"))
        self.background = background
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.existing = set(existing)
        self.validation_url: str | None = None
        self._cancelled = threading.Event()
        self._finished = False

        outer = QVBoxLayout(self)
        self.pages = QStackedWidget()
        outer.addWidget(self.pages)
        self.problem = PlainLabel()  # one line: what went wrong
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b3261e;")
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.hide()
        self._build_form(profile)
        self._build_waiting()
        outer.addWidget(self.problem)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.reject)
        self.login_button = QPushButton(self.tr("Log in"))
        self.login_button.setDefault(True)
        self.login_button.clicked.connect(self.start_login)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.login_button)
        outer.addLayout(buttons)
        self.setMinimumWidth(520)

    # -- the pages --------------------------------------------------------------------------------

    def _build_form(self, profile: Profile | None) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        intro = PlainLabel(
            self.tr(
                "Log in with an application of your OVHcloud account. The app then asks OVHcloud"
                " for a consumer key that you grant on OVHcloud's page, limited to what the app"
                " needs (list, read, open consoles and rescue servers). Secrets go to your"
                " system's keyring only."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.profile_edit = QLineEdit()
        self.profile_edit.setPlaceholderText(self.tr("a name for this account, e.g. work"))
        self.endpoint_combo = QComboBox()
        for endpoint in ENDPOINTS:
            self.endpoint_combo.addItem(
                self.tr("{name} ({endpoint})").format(
                    name=self.tr(ENDPOINT_NAMES.get(endpoint, endpoint)), endpoint=endpoint
                ),
                endpoint,
            )
        self.application_key_edit = QLineEdit()
        self.application_secret_edit = QLineEdit()
        self.application_secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        for edit in (self.profile_edit, self.application_key_edit, self.application_secret_edit):
            edit.textChanged.connect(lambda _text: self.problem.hide())
        form.addRow(self.tr("Profile name:"), self.profile_edit)
        form.addRow(self.tr("Endpoint:"), self.endpoint_combo)
        form.addRow(self.tr("Application key:"), self.application_key_edit)
        form.addRow(self.tr("Application secret:"), self.application_secret_edit)
        layout.addLayout(form)
        self.create_app_link = PlainLabel()
        self.create_app_link.setTextFormat(Qt.TextFormat.RichText)  # our own link, escaped
        self.create_app_link.setOpenExternalLinks(True)
        self.create_app_link.setWordWrap(True)
        layout.addWidget(self.create_app_link)
        self.endpoint_combo.currentIndexChanged.connect(lambda _index: self._show_create_link())
        if profile is not None:
            self.profile_edit.setText(profile.name)
            self.endpoint_combo.setCurrentIndex(
                max(0, self.endpoint_combo.findData(profile.endpoint))
            )
            self.application_key_edit.setText(profile.application_key or "")
        elif DEFAULT_PROFILE not in self.existing:
            self.profile_edit.setText(DEFAULT_PROFILE)
        self._show_create_link()
        self.pages.addWidget(page)
        self.form_page = page

    def _show_create_link(self) -> None:
        url = create_app_url(self.endpoint)
        if url:
            self.create_app_link.setText(
                self.tr(
                    'No application yet? <a href="{url}">Create one</a> (any name and'
                    " description), then copy its key and secret here."
                ).format(url=html.escape(url))
            )
        else:
            self.create_app_link.clear()

    def _build_waiting(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        title = PlainLabel(self.tr("Grant the access on OVHcloud's page"))
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        layout.addWidget(
            PlainLabel(
                self.tr(
                    "Log in to OVHcloud there and validate. If no page opened, click this link:"
                )
            )
        )
        self.link = PlainLabel()
        self.link.setTextFormat(Qt.TextFormat.RichText)  # a link the dialog builds, escaped
        self.link.setWordWrap(True)
        self.link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.link.linkActivated.connect(self._open_link)
        layout.addWidget(self.link)
        self.countdown = PlainLabel()
        layout.addWidget(self.countdown)
        self.note = PlainLabel()
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.pages.addWidget(page)
        self.waiting_page = page

    # -- the flow ---------------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return str(self.endpoint_combo.currentData())

    @property
    def profile_name(self) -> str:
        return self.profile_edit.text().strip()

    def start_login(self) -> None:
        """Check the form, then ask OVHcloud for a consumer key in the background."""
        name = self.profile_name
        key = self.application_key_edit.text().strip()
        secret = self.application_secret_edit.text().strip()
        try:
            check_profile_name(name)
        except ConsoleError as exc:
            self._say(in_words(exc))
            return
        if not key or not secret:
            self._say(self.tr("Both the application key and the application secret are needed."))
            return
        self._set_form_enabled(False)
        self.note.clear()
        self.problem.hide()
        self.login_button.setText(self.tr("Asking OVHcloud…"))
        credentials = flow.Credentials(self.endpoint, key, secret)
        self.background.run(
            partial(flow.request_consumer_key, credentials, name),
            partial(self._granting, name),
            self._failed,
            name="login-request",
        )

    def _granting(self, name: str, pending: flow.PendingLogin) -> None:
        if self._cancelled.is_set():
            return
        self.validation_url = pending.validation_url
        url = html.escape(pending.validation_url)
        shown = html.escape(url)
        self.link.setText(f'<a href="{shown}">{shown}</a>')
        self.countdown.setText(self._left(self.timeout))
        self.pages.setCurrentWidget(self.waiting_page)
        self.login_button.hide()
        self.background.run(
            partial(
                wait_and_store,
                pending,
                name,
                open_browser=True,
                timeout=self.timeout,
                interval=self.poll_interval,
                cancelled=self._cancelled,
                on_wait=lambda left: self.background.post(partial(self._tick, left)),
                say=self.background.reporter(self.note.setText),
            ),
            partial(self._stored, name),
            self._failed,
            name="login-wait",
        )

    def _tick(self, left: float) -> None:
        if not self._finished:
            self.countdown.setText(self._left(left))

    @staticmethod
    def _left(seconds: float) -> str:
        whole = int(seconds)
        return QCoreApplication.translate(
            "LoginDialog", "Waiting for the validation: {minutes}:{seconds:02d} left"
        ).format(minutes=whole // 60, seconds=whole % 60)

    def _stored(self, name: str, message: str) -> None:
        if self._cancelled.is_set():
            return
        self.logged_in.emit(name, message)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if self._cancelled.is_set() or self._finished:
            return  # the user cancelled: nothing more to say
        self.pages.setCurrentWidget(self.form_page)
        self.login_button.show()
        self.login_button.setText(self.tr("Log in"))
        self._set_form_enabled(True)
        self.validation_url = None
        self.link.clear()
        self._say(in_words(exc, login_again=""))

    def _open_link(self, url: str) -> None:
        self.background.run(partial(webbrowser.open, url), lambda _opened: None, self._failed)

    def _say(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.show()

    def _set_form_enabled(self, enabled: bool) -> None:
        for widget in (
            self.profile_edit,
            self.endpoint_combo,
            self.application_key_edit,
            self.application_secret_edit,
        ):
            widget.setEnabled(enabled)
        self.login_button.setEnabled(enabled)

    def reject(self) -> None:
        """Cancel: the wait stops within a second and nothing is stored."""
        self._cancelled.set()
        super().reject()

    def done(self, result: int) -> None:
        # Secrets never outlive the dialog in a widget.
        self._finished = True
        self.application_secret_edit.setText("")  # setText, unlike clear(), keeps no undo
        self.link.clear()
        self.validation_url = None
        super().done(result)
