"""The server floor: a bare FastAPI route on uvicorn, with no auth and no database."""

from fastapi import FastAPI

app = FastAPI()


# At the path where the harness asks whether a server is up; the bench measures this route too.
@app.get("/api/auth/ok")
async def ok() -> dict[str, bool]:
    return {"ok": True}
