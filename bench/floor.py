"""The benchmark's floor: a bare Litestar route returning text, served the same way as the console (uvicorn,
the same workers), so the console's figures read as a share of what the framework and the server cost alone.

    uvicorn bench.floor:app --port 8100"""

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def hello() -> str:
    return "ok"


app = Litestar(route_handlers=[hello], debug=False, openapi_config=None)
