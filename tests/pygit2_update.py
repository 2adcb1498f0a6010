"""Updates a ComfyUI checkout the way the Windows portable build's `update/update.py` does, on
pygit2 (libgit2) rather than the git command line: stash local changes, make a backup branch,
check out the branch, fetch, and for a fast-forward `checkout_tree` of the new tree, then move
the branch and HEAD. Used by comfydoctor's tests (tests/it/guard.rs) as a real libgit2 updater.

Usage: python pygit2_update.py REPO [BRANCH]
Prints what it did, one line a step; exits 0 when the update went through, as update.py does.
"""

import sys
from datetime import datetime

import pygit2


def update(path, branch_name="master"):
    repo = pygit2.Repository(path)
    who = pygit2.Signature("comfyui", "comfy@ui")

    # 1. Stash whatever git sees as changed (update.py: repo.stash(ident)).
    try:
        repo.stash(who)
        print("stashed local changes")
    except (KeyError, pygit2.GitError):
        print("nothing to stash")

    # 2. A backup branch at the current commit.
    backup = "backup_branch_" + datetime.now().strftime("%Y-%m-%d_%H_%M_%S")
    try:
        repo.branches.local.create(backup, repo.head.peel())
        print("backup branch " + backup)
    except (ValueError, pygit2.GitError, pygit2.AlreadyExistsError):
        print("no backup branch")

    # 3. Check out the branch.
    branch = repo.lookup_branch(branch_name)
    if branch is None:
        remote_ref = repo.lookup_reference("refs/remotes/origin/" + branch_name)
        repo.checkout(remote_ref)
        branch = repo.create_branch(branch_name, repo.get(remote_ref.target))
    repo.checkout(repo.lookup_reference(branch.name))
    print("checked out " + branch_name)

    # 4. Fetch, then fast-forward as update.py's pull() does.
    remote = repo.remotes["origin"]
    remote.fetch()
    new_id = repo.lookup_reference("refs/remotes/origin/" + branch_name).target
    result, _ = repo.merge_analysis(new_id)
    if result & pygit2.GIT_MERGE_ANALYSIS_UP_TO_DATE:
        print("up to date")
        return 0
    if not result & pygit2.GIT_MERGE_ANALYSIS_FASTFORWARD:
        print("not a fast-forward; this driver does only those")
        return 1
    repo.checkout_tree(repo.get(new_id))
    repo.lookup_reference("refs/heads/" + branch_name).set_target(new_id)
    repo.head.set_target(new_id)
    print("fast-forwarded to " + str(new_id))
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(update(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "master"))
