"""The minimal app's server: the auth API, and one protected route of its own."""

from typing import Annotated

from fastapi import Depends, FastAPI

from kernia_desktop_server import KerniaAuth, Settings, User, email_password


def create_app(settings: Settings | None = None) -> FastAPI:
    auth = KerniaAuth(settings, plugins=[email_password()])
    app = FastAPI()
    auth.mount(app)

    @app.get("/api/greeting")
    async def greeting(user: Annotated[User, Depends(auth.current_user)]) -> dict[str, str]:
        return {"greeting": f"Hello, {user.name}!"}

    return app
