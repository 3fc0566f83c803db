"""Plants each kind of mistake the checks claim to catch, one at a time,
in memory, and fails unless every one is reported (and the tree itself is
clean). Added in selftest_plants.py."""
from .run import Files, run
from .selftest_plants import PLANTS


def self_test(verbose=False):
    base, _, _ = run(Files())
    if base:
        for x in base:
            print(x)
        print("self-test: the tree itself has findings; fix them first")
        return 1
    before = {(x.kind, x.text) for x in base}
    missed, unplanted = [], []
    for p in PLANTS:
        files = Files()
        overrides = {}
        for rel, old, new in p.edits:
            current = overrides.get(rel, files.read(rel))
            if old is None:
                overrides[rel] = new
                continue
            if current is None or old.encode() not in current:
                unplanted.append(f"{p.name}: {old!r} not in {rel}")
                break
            overrides[rel] = current.replace(old.encode(), new.encode(), 1) if new is not None else None
        else:
            got, _, _ = run(Files(overrides=overrides))
            new_findings = [x for x in got if (x.kind, x.text) not in before]
            hits = [x for x in new_findings if x.kind == p.kind and p.expect in x.text]
            if verbose and hits:
                print(f"{p.name}: {hits[0]}")
            if not hits:
                missed.append(f"{p.name} (wanted [{p.kind}] …{p.expect}…; got {[str(x) for x in new_findings][:3]})")
    kinds = sorted({p.kind for p in PLANTS})
    if unplanted or missed:
        for u in unplanted:
            print(f"self-test: could not plant {u}")
        for m in missed:
            print(f"self-test: not found: {m}")
        return 1
    print(f"self-test: all {len(PLANTS)} planted mistakes found ({len(kinds)} kinds: {', '.join(kinds)})")
    return 0
