"""Run a command; print its wall seconds and peak RSS (KB), as `wall_s N` / `rss_kb N`.

    run_measured.py CMD [ARGS...]

Used by bench/epoch.sh so ltrun's and PyTorch's peak memory are measured the same way
(getrusage of the finished child), without needing GNU time installed.
"""
import resource, subprocess, sys, time

t0 = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
wall = time.perf_counter() - t0
print(f"wall_s {wall:.4f}")
print(f"rss_kb {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
sys.exit(rc)
