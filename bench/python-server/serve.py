"""Runs server.py's app on uvicorn in N worker processes, each listening on a socket of its own bound
with SO_REUSEPORT, so the kernel spreads new connections over the workers:

    MODEL_DIR=<model dir> python serve.py --host 127.0.0.1 --port 8000 --workers 2

Why not `uvicorn --workers 2`: its workers share one listening socket, and whichever is awake takes
the connections waiting; the benchmark's 32 keep-alive connections, opened together, went 32/0,
31/1, 30/2, 32/0 and 9/23 in five tries here, so most rounds measured one worker. Gunicorn's
`--reuse-port` does what this file does.
"""

import argparse
import multiprocessing
import socket

import uvicorn


def run_worker(host, port):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    config = uvicorn.Config(
        "server:app", loop="uvloop", http="httptools", access_log=False, backlog=2048, log_level="warning"
    )
    uvicorn.Server(config).run(sockets=[listener])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args()
    # Spawned, not forked: each worker imports server.py and opens its own onnxruntime session.
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=run_worker, args=(arguments.host, arguments.port)) for _ in range(arguments.workers)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main()
