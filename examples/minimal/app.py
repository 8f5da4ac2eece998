"""The smallest app on Kernia Desktop: a page of its own, one exposed function, and its own server, run bundled
(python app.py)."""

from pathlib import Path

from kernia_desktop import DesktopApp, Session

app = DesktopApp(
    "kernia-minimal",
    title="Minimal",
    renderer=Path(__file__).parent / "ui",
    # "module:function", imported on the backend's thread once the window shows.
    backend="server:create_app",
    size=(640, 480),
)


@app.expose
def greeting(session: Session) -> str:
    answer: str = session.get("/api/greeting").json()["greeting"]
    return answer


if __name__ == "__main__":
    app.run()
