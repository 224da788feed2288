/*
 * environment.c — the process's place in the job (Lightning's DDPStrategy.setup_environment
 * with MPIEnvironment as the cluster environment): MPI_Init_thread, global rank and world
 * size from MPI_COMM_WORLD, the local rank within the node from MPI_Comm_split_type
 * (MPI_COMM_TYPE_SHARED), the node rank among the nodes' first ranks; then Lightning's
 * checks of --trainer.devices / --trainer.num_nodes against what the launcher started, and
 * torchrun's rule of one compute thread share per rank.
 */
#define _GNU_SOURCE /* sched_getaffinity, dladdr */
#include "ddp.h"

#include <dlfcn.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool ddp_env_inside_mpi_job(void) {
    /* OpenMPI's mpirun, PMIx (srun --mpi=pmix, prterun), MPICH's hydra and Slurm's PMI2 */
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                       "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return true;
    return false;
}

/* The plugin was dlopen()ed RTLD_LOCAL with libmpi behind it. OpenMPI loads its own
 * components (mca_*.so) that expect libmpi's symbols global, and its progress threads
 * must outlive an unload of this plugin: reopen libmpi global and never unloaded. */
static void pin_libmpi(void) {
    Dl_info info;
    if (dladdr((void *)&MPI_Init_thread, &info) && info.dli_fname)
        (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
}

/* The cores this process may run on (what mpirun bound it to, or the machine's). */
static int64_t usable_cores(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}

static lt_status topology(lt_ctx *ctx, ddp *d) {
    int rc;
    if ((rc = MPI_Comm_dup(MPI_COMM_WORLD, &d->world)) != MPI_SUCCESS)
        return ddp_mpi_fail(ctx, d, rc, "MPI_Comm_dup");
    /* a failing call comes back as a code (reported by name), not as MPI's abort */
    MPI_Comm_set_errhandler(d->world, MPI_ERRORS_RETURN);
    MPI_Comm_rank(d->world, &d->rank);
    MPI_Comm_size(d->world, &d->world_size);
    MPI_Comm node, leaders;
    if ((rc = MPI_Comm_split_type(d->world, MPI_COMM_TYPE_SHARED, d->rank, MPI_INFO_NULL,
                                  &node)) != MPI_SUCCESS)
        return ddp_mpi_fail(ctx, d, rc, "MPI_Comm_split_type");
    MPI_Comm_rank(node, &d->local_rank);
    MPI_Comm_size(node, &d->local_size);
    /* node rank: the index of this node's local rank 0 among all nodes' local ranks 0,
     * told to the node's other ranks */
    if ((rc = MPI_Comm_split(d->world, d->local_rank == 0 ? 0 : MPI_UNDEFINED, d->rank,
                             &leaders)) != MPI_SUCCESS)
        return ddp_mpi_fail(ctx, d, rc, "MPI_Comm_split");
    int counts[2] = {0, 0}; /* node rank, number of nodes */
    if (leaders != MPI_COMM_NULL) {
        MPI_Comm_rank(leaders, &counts[0]);
        MPI_Comm_size(leaders, &counts[1]);
        MPI_Comm_free(&leaders);
    }
    rc = MPI_Bcast(counts, 2, MPI_INT, 0, node);
    MPI_Comm_free(&node);
    if (rc != MPI_SUCCESS) return ddp_mpi_fail(ctx, d, rc, "MPI_Bcast of the node rank");
    d->node_rank = counts[0];
    d->num_nodes = counts[1];
    int len = 0;
    char name[MPI_MAX_PROCESSOR_NAME];
    if (MPI_Get_processor_name(name, &len) == MPI_SUCCESS)
        snprintf(d->host, sizeof d->host, "%.*s", len, name);
    return LT_OK;
}

/* Lightning's ClusterEnvironment.validate_settings (SLURMEnvironment's messages): what the
 * Trainer was asked for must be what the launcher started. */
static lt_status check_settings(lt_ctx *ctx, const ddp *d, int64_t devices, int64_t num_nodes) {
    if (num_nodes != d->num_nodes)
        return lt_fail(ctx, "You set `num_nodes=%lld` in Lightning, but the MPI job runs on %d "
                            "node%s (the hosts mpirun started ranks on). HINT: Set "
                            "`--trainer.num_nodes %d`, or give mpirun a hostfile with %lld hosts",
                       (long long)num_nodes, d->num_nodes, d->num_nodes == 1 ? "" : "s",
                       d->num_nodes, (long long)num_nodes);
    if (devices > 0 && devices != d->local_size)
        return lt_fail(ctx, "You set `devices=%lld` in Lightning, but the MPI job started %d "
                            "process%s on host %s. HINT: Set `--trainer.devices %d` (or leave it "
                            "auto), or start %lld per node (mpirun -n %lld)",
                       (long long)devices, d->local_size, d->local_size == 1 ? "" : "es", d->host,
                       d->local_size, (long long)devices, (long long)(devices * num_nodes));
    return LT_OK;
}

lt_status ddp_env_setup(lt_ctx *ctx, ddp *d, lt_strategy_env *env) {
    bool has_launch = env->size >= offsetof(lt_strategy_env, argv) + sizeof env->argv;
    int64_t devices = has_launch ? env->devices : 0;
    int64_t num_nodes = has_launch && env->num_nodes > 0 ? env->num_nodes : 1;
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (finalized)
        return lt_fail(ctx, "MPI was already finalized in this process: ddp runs once per process");
    if (!inited && !ddp_env_inside_mpi_job()) {
        /* no launcher: one process unless more were asked for (Lightning's
         * _SubprocessScriptLauncher starts them; here mpirun does) */
        if (num_nodes > 1)
            return lt_fail(ctx, "--trainer.num_nodes %lld: several machines are started by MPI, "
                                "not by ltrun: run `mpirun -n %lld --hostfile HOSTS ltrun fit "
                                "--trainer.strategy ddp --trainer.num_nodes %lld ...` (README: "
                                "Several processes and machines)", (long long)num_nodes,
                           (long long)(num_nodes * (devices > 0 ? devices : 1)),
                           (long long)num_nodes);
        if (devices > 1) {
            if (getenv("LTRUN_DDP_LAUNCHED"))
                return lt_fail(ctx, "started by ltrun's launcher under mpirun, but MPI reports "
                                    "no job (no OMPI_COMM_WORLD_SIZE / PMIX_RANK): is mpirun "
                                    "OpenMPI's?");
            return has_launch ? ddp_launch(ctx, env, devices) : LT_ERROR;
        }
    }
    if (!inited) {
        pin_libmpi();
        int provided = 0;
        /* collectives run on the main thread only (the loops, the grad-ready callback
         * inside backward); SERIALIZED leaves room for a hook on another thread */
        int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
        if (rc != MPI_SUCCESS) return ddp_mpi_fail(ctx, d, rc, "MPI_Init_thread");
        d->mpi_started = true;
    }
    if (topology(ctx, d)) return LT_ERROR;
    if (check_settings(ctx, d, devices, num_nodes)) return LT_ERROR;
    env->rank = d->rank;
    env->world_size = d->world_size;
    env->local_rank = d->local_rank;
    env->node_rank = d->node_rank;
    /* torchrun sets OMP_NUM_THREADS=1 for several processes a node; Lightning leaves the
     * threads to the user. Here: the cores this rank may use, shared by the node's ranks,
     * unless --trainer.num_threads or OPENBLAS_NUM_THREADS / OMP_NUM_THREADS say */
    if (has_launch && env->num_threads == 0 && !getenv("OPENBLAS_NUM_THREADS") &&
        !getenv("OMP_NUM_THREADS")) {
        int64_t cores = usable_cores();
        /* bound to its own cores by mpirun: all of them; else a fair share */
        int64_t share = cores >= sysconf(_SC_NPROCESSORS_ONLN) ? cores / d->local_size : cores;
        env->num_threads = share > 0 ? share : 1;
    }
    return LT_OK;
}

void ddp_env_end(ddp *d) {
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (!inited || finalized) return;
    if (d->failed && d->world_size > 1) {
        /* the other ranks may be waiting in a collective for this one: end the job
         * (Lightning's launcher.kill after an exception); mpirun reports the rank */
        fprintf(stderr, "ltrun: ddp: rank %d of %d (host %s) failed: %s; ending every rank "
                        "(MPI_Abort)\n", d->rank, d->world_size, d->host,
                d->failure[0] ? d->failure : "see the error above");
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (d->world != MPI_COMM_NULL && d->world != MPI_COMM_WORLD) MPI_Comm_free(&d->world);
    if (d->mpi_started) MPI_Finalize();
}
