/*
 * launcher.c — `ltrun fit --trainer.strategy ddp --trainer.devices N` on one machine, not
 * started by mpirun: Lightning's _SubprocessScriptLauncher re-runs the same command line
 * for the other ranks; here the process replaces itself by
 *
 *     mpirun -n N --oversubscribe --bind-to none [--allow-run-as-root] LTRUN ARGS...
 *
 * with the same arguments and environment, so every rank (this command's rank 0 included)
 * is an MPI process of one job and mpirun owns their lifetime: it forwards SIGINT/SIGTERM,
 * and ends the job when one rank dies or calls MPI_Abort.
 * --oversubscribe: N is what the user asked for, whatever the core count; --bind-to none:
 * a rank with several compute threads must not be pinned to one core.
 */
#include "ddp.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

lt_status ddp_launch(lt_ctx *ctx, const lt_strategy_env *env, int64_t nprocs) {
    if (!env->argv || env->argc < 1)
        return lt_fail(ctx, "--trainer.devices %lld: the command line is unknown, so the ranks "
                            "cannot be started here; start them with mpirun -n %lld ltrun ...",
                       (long long)nprocs, (long long)nprocs);
    /* this very program, wherever argv[0] pointed (a relative path, PATH) */
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) snprintf(exe, sizeof exe, "%s", env->argv[0]);
    else exe[len] = '\0';
    char n[32];
    snprintf(n, sizeof n, "%lld", (long long)nprocs);
    enum { FIXED = 8 };
    char **argv = calloc((size_t)env->argc + FIXED + 1, sizeof *argv);
    if (!argv) return lt_fail(ctx, "out of memory starting the ranks");
    int k = 0;
    argv[k++] = "mpirun";
    argv[k++] = "-n";
    argv[k++] = n;
    argv[k++] = "--oversubscribe";
    argv[k++] = "--bind-to";
    argv[k++] = "none";
    /* mpirun refuses root unless told: the user who asked for N ranks is root already */
    if (geteuid() == 0) argv[k++] = "--allow-run-as-root";
    argv[k++] = exe;
    for (int i = 1; i < env->argc; i++) argv[k++] = env->argv[i];
    argv[k] = NULL;
    /* the ranks' marker: a rank that finds no MPI job says so instead of relaunching */
    setenv("LTRUN_DDP_LAUNCHED", "1", 1);
    fprintf(stderr, "ltrun: ddp: starting %lld processes: mpirun -n %lld ...\n",
            (long long)nprocs, (long long)nprocs);
    fflush(stdout);
    fflush(stderr);
    execvp("mpirun", argv);
    int e = errno;
    free(argv);
    unsetenv("LTRUN_DDP_LAUNCHED");
    return lt_fail(ctx, "--trainer.devices %lld: cannot run mpirun (%s): install OpenMPI's "
                        "launcher (apt-get install openmpi-bin) or start the ranks yourself with "
                        "mpirun -n %lld ltrun ...", (long long)nprocs, strerror(e),
                   (long long)nprocs);
}
