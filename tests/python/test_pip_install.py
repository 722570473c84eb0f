# ctest-labels: heavy
"""`pip install --no-build-isolation .` from a fresh copy of the source tree (the files git tracks,
or would: tracked and untracked-but-not-ignored) into a virtual environment with Debian's
site-packages (numpy, setuptools, wheel from Debian; --no-index: nothing is downloaded), then the
acceptance one-liner in a fresh interpreter outside the tree:
  python3 -c "import textlrp; m = textlrp.load(DIR); e = m.explain('...'); print(e.relevance.dtype, e.tokens)"
Heavy: the copy is a new build tree (with ccache, the objects of this build are reused: the copy's
CMake build directory is <copy>/build, at the same place relative to the sources as this one's).
"""
import os
import shutil
import subprocess


from conftest import SOURCE_DIR, make_toy_corpus, run


def source_files():
    try:
        out = subprocess.run(["git", "-C", SOURCE_DIR, "ls-files", "-co", "--exclude-standard", "-z"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
        return [f for f in out.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        return None


def test_pip_install_into_venv(tmp_path):
    src = tmp_path / "src"
    files = source_files()
    if files is None:  # not a git checkout: everything but build folders
        shutil.copytree(SOURCE_DIR, src, ignore=shutil.ignore_patterns("build", "build-*", ".git"))
    else:
        for f in files:
            if os.path.isfile(os.path.join(SOURCE_DIR, f)):
                os.makedirs(os.path.dirname(src / f), exist_ok=True)
                shutil.copy2(os.path.join(SOURCE_DIR, f), src / f)
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = str(venv / "bin" / "python")

    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # the installed package, not the build tree's
    env["TEXTLRP_CMAKE_BUILD_DIR"] = str(src / "build")
    cmake_args = ["-DTEXTLRP_PCH=" + os.environ.get("TEXTLRP_PCH", "OFF")]
    if os.environ.get("TEXTLRP_CXX_COMPILER"):
        cmake_args.append("-DCMAKE_CXX_COMPILER=" + os.environ["TEXTLRP_CXX_COMPILER"])
    launcher = os.environ.get("TEXTLRP_CXX_LAUNCHER") or (shutil.which("ccache") and "ccache")
    if launcher:
        cmake_args.append("-DCMAKE_CXX_COMPILER_LAUNCHER=" + launcher)
        env["CCACHE_BASEDIR"] = str(src)
    env["CMAKE_ARGS"] = " ".join(cmake_args)
    env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", os.environ.get("TEXTLRP_BUILD_JOBS", str(os.cpu_count() or 1)))
    r = subprocess.run([py, "-m", "pip", "install", "--no-build-isolation", "--no-index", "."], cwd=src, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert r.returncode == 0, r.stdout.decode()[-6000:]

    corpus = tmp_path / "corpus"
    make_toy_corpus(str(corpus))
    model = tmp_path / "spam-svm"
    run("train", "--arch", "svm", "--corpus", "folder:" + str(corpus), "--out", str(model), "-q")
    code = ("import textlrp; m = textlrp.load({!r}); e = m.explain('WIN a free prize now'); "
            "print(e.relevance.dtype, e.tokens); print(textlrp.__file__)").format(str(model))
    r = subprocess.run([py, "-c", code], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0, r.stderr.decode()
    first, where = r.stdout.decode().splitlines()
    assert first == "float64 ['WIN', 'a', 'free', 'prize', 'now']"
    assert where.startswith(str(venv)), where
    # Uninstalls cleanly too.
    r = subprocess.run([py, "-m", "pip", "uninstall", "-y", "textlrp"], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    assert r.returncode == 0, r.stdout.decode()
