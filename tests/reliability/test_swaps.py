"""Search stays up during swaps: a real server on 127.0.0.1 answers every search while the index
is rebuilt and swapped 10 times."""

import http.client
import threading
import time
from urllib.parse import quote

from waitress import create_server

from kb.config import load_config
from kb.indexer import rebuild
from webui import create_app

SWAPS = 10
CLIENTS = 4
QUERIES = ["稀土", "钕铁硼 回收", "GB/T 4137-2015", "type:patent 稀土", '"稀土永磁"', "价格 -氧化"]


def test_zero_errors_while_the_index_is_swapped_ten_times(home):
    config = load_config({}, home=str(home))
    rebuild(config)
    app = create_app(config)
    server = create_server(app, host="127.0.0.1", port=0, threads=CLIENTS)
    port = server.effective_port
    stop, statuses, lock = threading.Event(), [], threading.Lock()

    def serve():
        try:
            server.run()
        except OSError:  # select() on the socket closed at the end of the test
            assert stop.is_set()

    threading.Thread(target=serve, daemon=True).start()

    def client(n):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = n
        while not stop.is_set():
            paths = [
                f"/api/search?q={quote(QUERIES[i % len(QUERIES)])}",
                "/healthz",
                f"/?q={quote(QUERIES[(i + 1) % len(QUERIES)])}",
            ]
            for path in paths:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                with lock:
                    statuses.append(response.status)
            i += 1
        connection.close()

    def run_clients(work):
        """Requests per second of CLIENTS clients while `work` runs."""
        stop.clear()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        before, started = len(statuses), time.perf_counter()
        for thread in threads:
            thread.start()
        try:
            work()
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
        return (len(statuses) - before) / (time.perf_counter() - started)

    try:
        quiet = run_clients(lambda: time.sleep(2))
        during = run_clients(lambda: [rebuild(config) for _ in range(SWAPS)])
    finally:
        stop.set()
        server.close()
    errors = [s for s in statuses if s != 200]
    print(
        f"\n{len(statuses)} requests: {quiet:.0f} requests/s without a rebuild, {during:.0f} requests/s "
        f"during {SWAPS} rebuilds and swaps; {len(errors)} errors"
    )
    assert len(statuses) > 100 and errors == []
    assert len(list((home / "index" / "builds").iterdir())) == 1
