"""Writing new segments in several processes, each reading its own share of the input.

Whoosh's multiprocessing writer makes the parent read every document and pickle
it to the writers; on two cores the parent's reading (YAML front matter, field
building) then bounds the whole build.  Here the parent only hands each forked
process a share of the input (paths); the process turns its share into
documents itself (`produce(share, log)`), writes one segment with
FastSegmentWriter and sends back the segment, its document count and its log.
The parent, which holds the index's write lock throughout, commits the new
segments together in one TOC, so readers see all of them or none.  Shares are
contiguous, so document numbers follow the input's order as in a serial build.
"""

import multiprocessing
import os
import pickle
import time
import traceback
from multiprocessing.connection import wait

from whoosh.index import open_dir
from whoosh.writing import NO_MERGE

from kb.engine.segwriter import FastSegmentWriter


def write_shares(ix, shares, produce, compression=3, mergetype=None, replace=None, deletes=()):
    """Write the documents `produce(share, log)` yields for each share, one process and one segment per
    share (in this process when there is one share), and commit them.  `replace`: fields (e.g.
    ("path", "id")); a new document replaces the live ones that share its value of any of them.
    `mergetype`: Whoosh merge policy for the segments already there; `deletes`: (field, value) terms
    whose documents go.
    Returns (documents written, merged log)."""
    parent = FastSegmentWriter(ix, compression=compression)
    try:
        for field, value in deletes:
            parent.delete_by_term(field, value)
        if len(shares) == 1:
            log = {}
            count = _write(parent, shares[0], produce, log, replace)
            parent.commit(mergetype=mergetype)
            return count, log
        results = _run_children(ix, shares, produce, compression, replace)
        count, log, segments = 0, {}, []
        for segment, written, child_log, replaced in results:
            count += written
            _add_log(log, child_log)
            for field, value in replaced:
                parent.delete_by_term(field, value)
            if written:
                segments.append(segment)
        kept = parent._merge_segments(mergetype or NO_MERGE, None, None)  # (never into this writer)
        parent._close_segment()
        parent._commit_toc(kept + segments)
        parent._finish()
        return count, log
    except BaseException:
        if not parent.is_closed:
            parent.cancel()
        raise


def _write(writer, share, produce, log, replace):
    count = 0
    for document in produce(share, log):
        for field in replace or ():
            writer.delete_by_term(field, document[field])
        writer.add_document(**document)
        count += 1
    return count


def _add_log(total, part):
    for key, values in part.items():
        total.setdefault(key, []).extend(values)


def _run_children(ix, shares, produce, compression, replace):
    context = multiprocessing.get_context("fork")
    folder, indexname = ix.storage.folder, ix.indexname
    children, pipes = [], []
    try:
        for share in shares:
            receive, send = context.Pipe(duplex=False)
            child = context.Process(
                target=_child,
                args=(folder, indexname, share, produce, compression, replace, send, os.getpid()),
                daemon=True,
            )
            child.start()
            send.close()
            children.append(child)
            pipes.append(receive)
        results = [None] * len(shares)
        waiting = dict(zip(pipes, range(len(shares)), strict=False))
        while waiting:
            for pipe in wait(list(waiting)):
                index = waiting.pop(pipe)
                try:
                    kind, value = pickle.loads(pipe.recv_bytes())
                except EOFError:
                    raise RuntimeError(
                        f"writer process {children[index].pid} died (exit code {children[index].exitcode})"
                    ) from None
                if kind == "error":
                    raise value
                results[index] = value
        for child in children:
            child.join()
        return results
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join()
        for pipe in pipes:
            pipe.close()


def _child(folder, indexname, share, produce, compression, replace, send, parent):
    started, cpu = time.time(), time.process_time()
    try:
        writer = FastSegmentWriter(open_dir(folder, indexname), compression=compression, _lk=False)
        log, replaced = {}, []

        def documents():
            for document in produce(share, log):
                if os.getppid() != parent:  # the parent was killed: stop, write nothing
                    os._exit(1)
                replaced.extend((field, document[field]) for field in replace or ())
                yield document

        count = 0
        for document in documents():
            writer.add_document(**document)
            count += 1
        segment = writer._finalize_segment() if count else None
        if not count:
            writer._close_segment()
        # when this writer ran (wall clock) and its CPU: the parent's stats show whether writers overlap
        log["writers"] = [
            {
                "documents": count,
                "started": round(started, 2),
                "finished": round(time.time(), 2),
                "cpu_s": round(time.process_time() - cpu, 2),
            }
        ]
        message = ("ok", (segment, count, log, replaced))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        try:
            pickle.dumps(exc)
            failure = exc
        except Exception:  # noqa: BLE001
            failure = RuntimeError(traceback.format_exc())
        message = ("error", failure)
    send.send_bytes(pickle.dumps(message))
    send.close()
