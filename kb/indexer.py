"""Build and update the Whoosh index from content/.

to_document() is pure.  rebuild() writes a complete new index under
index/builds/ and swaps the `current` link to it atomically, so searches keep
answering from the old one until the new one is whole; a failure leaves the
live index as it was.  update() changes only what changed.  A lock file keeps
two builds from running at once.
"""

import functools
import itertools
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from kb import engine, hittext, storage, walk
from kb.analysis import segmenter
from kb.content import file_hash, iter_paths, read_article, stamps
from kb.errors import IndexMissingError, KbError
from kb.hittext import document_body, indexed_body
from kb.numbers import keys_of
from kb.relpaths import full_paths, stored_path
from kb.schema import compact_document, layout, make_schema
from kb.storage import current_target, live_dir, open_live  # noqa: F401  (re-exported)

CURRENT = storage.CURRENT
BUILDS = storage.BUILDS
STATE = storage.STATE


def to_document(article):
    """One Article as the dict of fields Whoosh indexes."""
    patents = [p.get("number", "") for p in article.patents if isinstance(p, dict)]
    inventors = [name for p in article.patents if isinstance(p, dict) for name in (p.get("inventors") or [])]
    keys = []
    for canonical in article.standards + article.plan_numbers + patents + article.doc_numbers:
        keys.extend(keys_of(canonical))
    for plan in article.plans:
        for field in ("plan_number", "foreign_plan_number", "replaces"):
            if plan.get(field):
                keys.extend(keys_of(plan[field]))
    extra = " ".join(
        p.get("abstract", "") + " " + p.get("title", "") for p in article.patents if isinstance(p, dict)
    )
    year = article.year
    return compact_document(
        {
            "id": article.id,
            "title": article.title,
            "body": document_body(article.body, article.patents),  # one rule with kb/hittext.py's read-back
            "grams": indexed_body(
                article.title + "\n" + article.body + "\n" + extra
            ),  # kb/schema.py: bigrams
            "type": article.type,
            "section": article.section or "",
            "source": article.source or "",
            "issue": article.issue_slug,
            "year": str(year) if year else "",
            "date": article.date or "",
            "numbers": ",".join(sorted(set(keys))),
            "standards": ",".join(article.standards),
            "plan_numbers": ",".join(article.plan_numbers),
            "patents": ",".join(patents),
            "doc_numbers": ",".join(article.doc_numbers),
            "inventors": ",".join(inventors),
            "meta": {
                "issue": article.issue,
                "plans": article.plans,
                "patents": article.patents,
                "prices": article.prices,
                "origin": article.origin,
                "standards": article.standards,
                "plan_numbers": article.plan_numbers,
                "doc_numbers": article.doc_numbers,
            },
            "path": article.path or "",
            "hash": article.sha1,
            "stamp": article.stamp,
        }
    )  # empty values left out (kb/schema.py)


def build_lock(config, command="build", say=None):
    """The index's build lock (kb.storage.build_lock); leftovers of an interrupted run are cleaned
    once it is held."""
    return storage.build_lock(config.index_dir, command, say)


PARALLEL_FROM = 1000  # documents in a build; below this, forking writers costs more than it saves
BACKGROUND_WALK_FROM = 20_000  # indexed documents; from here update walks content/ in a second process
UPDATE_PARALLEL_FROM = 200  # changed documents in an update; fewer are written faster by one process than two
QUICK_PARALLEL_FROM = 16  # new articles in the quick phase; from here two writers (0.6 s CPU each for 60
# at 145k passages, against 0.9 s in one: half the tokenising, the dictionary loads side by side)
WALK_NICENESS = 19  # of the background walk of a large archive


def build_procs(config, documents, parallel_from=PARALLEL_FROM):
    """How many writer processes writing `documents` use."""
    if config.index_procs:
        return max(1, config.index_procs)
    return min(os.cpu_count() or 1, 4) if documents >= parallel_from else 1


def _read_all(paths, problems, notes=None, content_dir=None):
    """The documents of `paths`, each path kept relative to `content_dir` (kb.relpaths)."""
    for path in paths:
        try:
            article = read_article(path)
            bound = hittext.MAX_INDEXED_CHARS
            if notes is not None and len(article.body) > bound:
                notes.append(f"{path}: 正文有 {len(article.body):,} 个字符，只有前 {bound:,} 个可以搜索")
            document = to_document(article)
            if content_dir is not None and document.get("path"):
                document["path"] = stored_path(content_dir, document["path"])
            yield document
        except KbError as exc:
            problems.append(exc.describe())


def _documents(share, log):
    """The documents of one share of paths (run by the writer process that writes them); `fail_after`
    documents into the share, a simulated failure (tests)."""
    paths, fail_after, content_dir = share
    problems, notes = log.setdefault("problems", []), log.setdefault("notes", [])
    for count, document in enumerate(_read_all(paths, problems, notes, content_dir), start=1):
        yield document
        if fail_after is not None and count >= fail_after:
            raise RuntimeError("simulated failure half-way through the build")


def _shares(paths, procs, fail_after=None, content_dir=None):
    """`paths` cut into `procs` contiguous shares of (paths, fail_after within the share, the content
    folder the paths are kept relative to)."""
    procs = max(1, min(procs, len(paths)))
    bounds = [len(paths) * i // procs for i in range(procs + 1)]
    shares = []
    for start, end in itertools.pairwise(bounds):
        local = fail_after - start if fail_after is not None and start < fail_after <= end else None
        shares.append((paths[start:end], local, content_dir))
    return shares


def rebuild(config, progress=None, fail_after=None):
    """Build a complete new index and swap it in; returns stats. `fail_after` is for tests."""
    say = progress or (lambda msg: None)
    started = time.time()
    segmenter(config.userdict)
    with build_lock(config, "build", say):
        root = Path(config.index_dir)
        storage.clean(root, say)
        try:
            builds = root / BUILDS
            builds.mkdir(parents=True, exist_ok=True)
            target = builds / f"{time.time_ns()}"
            target.mkdir()
        except OSError as exc:
            raise storage.disk_error(exc, root) from None
        folders = walk.folder_times(config.content_dir)  # before the listing: update's quick look
        paths = iter_paths(config.content_dir)
        procs = build_procs(config, len(paths))
        shares = _shares(paths, procs, fail_after, config.content_dir)
        say(f"indexing {len(paths)} documents in {len(shares)} process(es)")
        try:
            ix = engine.create(target, make_schema())
            count, log = engine.write_shares(ix, shares, _documents)
            indexed = open_live(config, target).doc_count()
            if indexed != count:
                raise KbError(
                    f"the new index holds {indexed} documents, not {count}: a writer process failed",
                    path=target,
                    hint="run the build again with KB_INDEX_PROCS=1",
                )
            walk.save(target, config.content_dir, folders)
            storage.swap(root, target)
        except OSError as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise storage.disk_error(exc, target) from None
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        problems, notes = log.get("problems", []), log.get("notes", [])
        say(f"indexed {count} documents")
        stats = {
            "documents": count,
            "seconds": round(time.time() - started, 2),
            "problems": problems,
            "processes": len(shares) or 1,
        }
        if notes:
            stats["truncated"] = notes
        if log.get("writers"):  # forked writers: seconds after the build started, and CPU, of each
            stats["writers"] = [
                {
                    "documents": w["documents"],
                    "from_s": round(w["started"] - started, 2),
                    "to_s": round(w["finished"] - started, 2),
                    "cpu_s": w["cpu_s"],
                }
                for w in log["writers"]
            ]
        storage.write_state(
            root,
            {"built": time.strftime("%Y-%m-%d %H:%M:%S"), "documents": count, "seconds": stats["seconds"]},
        )
        return stats


def ensure_index(config, progress=None):
    """Build the index when there is none; return True if a build ran."""
    if live_dir(config) is None:
        (progress or (lambda m: None))("no index yet: building it from content/")
        rebuild(config, progress)
        return True
    return False


def _segment_columns(ix, names, cache=None, content_dir=None):
    """[(live docnums, or None when the segment has no deletions, [values of each column in `names`])]
    of every segment of the latest generation; paths joined back with `content_dir` (kb.relpaths).
    `cache` ({(segment id, name): values}) keeps the columns of segments already read: a segment's
    columns never change, only its deletions."""
    cache = {} if cache is None else cache
    out = []
    with ix.searcher() as searcher:
        for leaf, _ in searcher.leaf_searchers():
            reader = leaf.reader()
            if reader.doc_count_all() == 0:  # Whoosh's own merge policy could leave one (older indexes)
                continue
            if not all(reader.has_column(name) for name in ("path", "hash", "stamp")):
                raise IndexMissingError(
                    "the index was built by an older kb",
                    path=ix.storage.folder,
                    hint="run `kb index rebuild` once",
                )
            segment = reader.segment() if hasattr(reader, "segment") else None
            key = segment.segment_id() if segment is not None else None
            texts = []
            for name in names:
                if key is None or (key, name) not in cache:
                    values = engine.column_values(reader, name)
                    if name == "path" and content_dir is not None:
                        values = full_paths(content_dir, values)
                    if key is None:
                        texts.append(values)
                        continue
                    cache[(key, name)] = values
                texts.append(cache[(key, name)])
            alive = list(reader.all_doc_ids()) if reader.has_deletions() else None
            out.append((alive, texts))
    return out


def _indexed(ix, content_dir, cache=None):
    """path -> (hash, stamp) of every live document, from the columns (documents stay unread); paths
    in the walk's form (under `content_dir`)."""
    out = {}
    columns = _segment_columns(ix, ("path", "hash", "stamp"), cache, content_dir)
    for alive, (paths, hashes, stamps_) in columns:
        if alive is None:
            out.update(zip(paths, zip(hashes, stamps_, strict=True), strict=True))
        else:
            for docnum in alive:
                out[paths[docnum]] = (hashes[docnum], stamps_[docnum])
    return out


def _indexed_paths(ix, content_dir, cache=None):
    """The paths of every live document, in the walk's form (under `content_dir`)."""
    out = set()
    for alive, (paths,) in _segment_columns(ix, ("path",), cache, content_dir):
        out.update(paths if alive is None else (paths[docnum] for docnum in alive))
    return out


def _changes(config, ix, on_disk=None, cache=None):
    """(changed or new paths, removed paths): a file is hashed only when its stamp moved.
    `on_disk`: a callable giving path -> stamp (default: a walk of content/ now)."""
    indexed = _indexed(ix, config.content_dir, cache)
    on_disk = stamps(config.content_dir) if on_disk is None else on_disk()
    changed = []
    for path, stamp in on_disk.items():
        known = indexed.get(path)
        if known is None or (known[1] != stamp and known[0] != file_hash(path)):
            changed.append(path)
    removed = [p for p in indexed if p not in on_disk]
    return sorted(changed), removed


def _walk_meanwhile(config, ix):
    """A callable giving walk.full_walk(content_dir) = (path -> stamp, folder -> time); for a large
    archive the walk starts now in a forked process, so statting every file overlaps the quick
    look, loading the dictionary and writing the new articles."""
    if ix.doc_count_all() < BACKGROUND_WALK_FROM or (os.cpu_count() or 1) < 2:
        return lambda: walk.full_walk(config.content_dir)
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    future = pool.submit(_walk_in_background, config.content_dir)

    def result():
        try:
            return future.result()
        except Exception:  # the helper process died (out of memory, killed): walk here instead
            return walk.full_walk(config.content_dir)
        finally:
            pool.shutdown()

    return result


def _walk_in_background(content_dir):
    """The full walk at a lower priority: the writer processes of the quick phase come first."""
    try:
        os.nice(WALK_NICENESS)
    except OSError:
        pass
    return walk.full_walk(content_dir)


def _stamps_meanwhile(config, ix):
    """A callable giving path -> stamp of every article (the full walk, begun now)."""
    walked = _walk_meanwhile(config, ix)
    return lambda: walked()[0]


def update(config, progress=None):
    """Add, replace and remove only what changed in content/.

    Two phases, each one atomic commit.  First the quick look (kb/walk.py): folders whose time moved
    since the last walk are listed, and the articles added to or removed from them are written and
    committed at once (searchable now).  Then the full walk, begun in parallel, compares every file's
    stamp with the index and commits whatever else changed (edits in place, anything the folders'
    times could not show).  A failure leaves the index as the last commit left it."""
    started = time.time()
    if live_dir(config) is None:
        return rebuild(config, progress)  # none yet: build it whole
    if layout(open_live(config).schema) != layout(make_schema()):
        # written by a kb with other fields or encodings: an update would mix two layouts
        (progress or (lambda message: None))("索引由旧版 kb 建立（字段或编码不同）：正在完整重建")
        return rebuild(config, progress)
    try:
        return _update(config, progress, started)
    except OSError as exc:  # Whoosh's commit is atomic: the live index is the one before the update
        raise storage.disk_error(exc, config.index_dir) from None


def _idle_core():
    """True when this machine has a core to spare: two or more, and fewer running than cores."""
    cores = os.cpu_count() or 1
    try:
        return cores >= 2 and os.getloadavg()[0] < cores - 0.5
    except OSError:
        return False


def _write(config, ix, changed, removed, parallel_from=UPDATE_PARALLEL_FROM):
    """Write `changed` (paths) and delete `removed` in one commit; returns (count, problems).  With
    several writer processes each loads the dictionary itself, the loads running side by side."""
    # an update's few documents are written uncompressed (faster); merges compress them later
    procs = build_procs(config, len(changed), parallel_from)
    shares = _shares(changed, procs, content_dir=config.content_dir)
    if len(shares) == 1:
        segmenter(config.userdict)
    # a new version replaces the document of its path and any of its id (ids are unique)
    count, log = engine.write_shares(
        ix,
        shares,
        functools.partial(_documents_with_dictionary, config.userdict),
        compress=False,
        update=True,
        replace=("path", "id"),
        deletes=[("path", stored_path(config.content_dir, path)) for path in removed],
    )
    return count, log.get("problems", [])


def _documents_with_dictionary(userdict, share, log):
    segmenter(userdict)
    yield from _documents(share, log)


def _quick_phase(config, ix, cache):
    """The articles added to or removed from folders whose time moved, written and committed:
    (written, removed, problems); (0, 0, []) when no folder times were recorded or none moved."""
    recorded = walk.load(ix.storage.folder, config.content_dir)
    if recorded is None:
        return 0, 0, []
    listed, gone = walk.quick_look(config.content_dir, recorded)
    if not listed and not gone:
        return 0, 0, []
    new, removed = walk.new_and_removed(
        listed, gone, recorded, lambda: _indexed_paths(ix, config.content_dir, cache)
    )
    if not new and not removed:
        return 0, 0, []
    # the dictionary is not loaded yet: two writers load it side by side and write half each, when a
    # core is idle (on a busy machine the second one only waits for the first)
    parallel_from = QUICK_PARALLEL_FROM if _idle_core() else UPDATE_PARALLEL_FROM
    count, problems = _write(config, ix, new, removed, parallel_from)
    return count, len(removed), problems


def _update(config, progress, started):
    with build_lock(config, "update", progress):
        storage.clean(config.index_dir, progress)
        ix = open_live(config)
        walked = _walk_meanwhile(config, ix)
        cache = {}  # columns of segments already read, shared by both phases
        quick_count, quick_removed, problems = _quick_phase(config, ix, cache)
        quick_after = round(time.time() - started, 2) if quick_count or quick_removed else None
        on_disk, folders = walked()
        changed, removed = _changes(config, ix, lambda: on_disk, cache)
        count = 0
        if changed or removed:
            count, more = _write(config, ix, changed, removed)
            problems = problems + [p for p in more if p not in problems]
        walk.save(ix.storage.folder, config.content_dir, folders)
        searchable = round(time.time() - started, 2) if count or removed else quick_after
        merged = engine.tidy(ix)
        return {
            "updated": quick_count + count,
            "removed": quick_removed + len(removed),
            "searchable_after": searchable if searchable is not None else round(time.time() - started, 2),
            "segments_merged": merged,
            "seconds": round(time.time() - started, 2),
            "problems": problems,
            "found_by_folders": quick_count + quick_removed,
            "first_searchable_after": quick_after,
        }


def status(config):
    """Documents, last build, what is stale, who holds the lock and what interrupted runs left."""
    root = Path(config.index_dir)
    owner = storage.lock_owner(root)
    running = (
        {"running": f"{owner.get('command')} (pid {owner.get('pid')}, since {owner.get('started')})"}
        if owner
        else {}
    )
    left = [] if owner else [str(path) for path in storage.leftovers(root)]
    extra = {**running, "leftovers": left}
    live = live_dir(config)
    if live is None:
        return {
            "index": str(config.index_dir),
            "documents": 0,
            "built": None,
            "stale": "no index yet",
            **extra,
        }
    ix = open_live(config, live)
    changed, removed = _changes(config, ix, _stamps_meanwhile(config, ix))
    state = storage._state(root)
    return {
        "index": str(live),
        "documents": ix.doc_count(),
        "built": state.get("built"),
        "changed_or_new": len(changed),
        "removed": len(removed),
        "stale": bool(changed or removed),
        **extra,
    }
