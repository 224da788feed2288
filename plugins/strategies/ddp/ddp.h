/*
 * ddp.h — the ddp strategy plugin's shared state: Lightning's DDPStrategy around PyTorch's
 * DistributedDataParallel, over MPI (OpenMPI on Debian) instead of torch.distributed.
 *
 * One process per rank. The files, one concern each:
 *   ddp.c          the LT_STRATEGY table: init args, which entry does what
 *   environment.c  setup_environment: MPI_Init_thread, rank / local rank / node rank /
 *                  world size, Lightning's checks of devices and num_nodes, threads per rank
 *   launcher.c     `--trainer.devices N` without mpirun: the run restarts itself under
 *                  mpirun (Lightning's _SubprocessScriptLauncher)
 *   collectives.c  barrier, broadcast, reduce, reduce_bool, all_gather, each bounded by
 *                  --strategy.timeout
 *   reducer.c      gradient averaging after backward: buckets started as their gradients
 *                  become final, overlapping the rest of backward (PyTorch's Reducer)
 *
 * Ownership: ddp.c's create allocates the ddp struct and destroy frees it with everything
 * below it (the reducer, the duplicated communicators). MPI itself is initialised once per
 * process by environment.c and finalised by ddp_env_end, which is the last MPI call.
 */
#ifndef LTR_PLUGIN_DDP_H
#define LTR_PLUGIN_DDP_H

#include "ltrun.h"

#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct ddp_reducer ddp_reducer;

/* --strategy.KEY init args */
typedef struct ddp_options {
    double bucket_cap_mb; /* 25, PyTorch's DistributedDataParallel default */
    double timeout_s;     /* every collective waits at most this long (60) */
    bool overlap;         /* true: buckets during backward; false: one all-reduce after it */
} ddp_options;

typedef struct ddp {
    ddp_options opt;
    MPI_Comm world;      /* our duplicate of MPI_COMM_WORLD, errors returned (not fatal) */
    int rank, world_size;
    int local_rank, local_size; /* within this node (MPI_COMM_TYPE_SHARED) */
    int node_rank, num_nodes;
    char host[256];
    bool mpi_started;    /* this plugin called MPI_Init_thread */
    bool failed;         /* this rank failed (on_exception, a timed-out collective) */
    char failure[512];   /* the first failure's message, for the abort line */
    bool torn_down;      /* teardown ran: destroy without it means the run never started */
    const lt_gradients_v1 *grads;       /* LT_EXT_GRADIENTS */
    const lt_strategy_base_v1 *base;    /* LT_EXT_STRATEGY_BASE */
    ddp_reducer *reducer;               /* made by setup (fit), NULL before */
} ddp;

/* environment.c */
lt_status ddp_env_setup(lt_ctx *ctx, ddp *d, lt_strategy_env *env);
/* The end of the job for this process: MPI_Finalize after a run that went well; after a
 * failure, MPI_Abort, which ends every rank (Lightning's launcher.kill). */
void ddp_env_end(ddp *d);
/* Is this process one rank of a job an MPI launcher started (mpirun, srun, hydra)? */
bool ddp_env_inside_mpi_job(void);

/* launcher.c: restart this command under `mpirun -n nprocs`; returns only on failure
 * (message recorded). */
lt_status ddp_launch(lt_ctx *ctx, const lt_strategy_env *env, int64_t nprocs);

/* collectives.c — each called by every rank in the same order; LT_ERROR with the message
 * recorded (a timeout names the call and marks the rank failed). */
lt_status ddp_wait(lt_ctx *ctx, ddp *d, int n, MPI_Request *reqs, const char *what);
lt_status ddp_barrier(lt_ctx *ctx, ddp *d, const char *name);
lt_status ddp_broadcast(lt_ctx *ctx, ddp *d, void *buf, size_t bytes, int64_t src);
lt_status ddp_reduce(lt_ctx *ctx, ddp *d, double *values, int64_t n, lt_reduce_op op);
lt_status ddp_reduce_bool(lt_ctx *ctx, ddp *d, bool *decision, bool all);
lt_status ddp_all_gather(lt_ctx *ctx, ddp *d, const lt_tensor *x, lt_tensor *out);
/* rank 0's parameters and buffers on every rank (DDP's _sync_module_states) */
lt_status ddp_broadcast_module_states(lt_ctx *ctx, ddp *d);
/* an MPI error code as a recorded failure naming the call */
lt_status ddp_mpi_fail(lt_ctx *ctx, ddp *d, int code, const char *what);
/* sizeof one element of dtype, and its MPI type (MPI_DATATYPE_NULL: none) */
size_t ddp_dtype_size(lt_dtype dt);
MPI_Datatype ddp_mpi_type(lt_dtype dt);

/* reducer.c */
ddp_reducer *ddp_reducer_create(lt_ctx *ctx, ddp *d);
void ddp_reducer_destroy(ddp_reducer *r);
/* Before backward: whether this backward synchronises (no_sync off) */
void ddp_reducer_prepare(ddp_reducer *r, lt_ctx *ctx);
/* After backward: launch what is left, wait, write the averages into the grads. */
lt_status ddp_reducer_finish(ddp_reducer *r, lt_ctx *ctx);
/* What the reducer did: the last synchronising backward's bytes all-reduced, all-reduce
 * calls and how many of those started before backward ended (overlap); over the run, the
 * backwards, those that synchronised (the others were no_sync) and the seconds spent
 * waiting for all-reduces after backward (what the overlap did not hide). */
typedef struct ddp_reducer_figures {
    int64_t bytes, calls, early, backwards, synced, buckets;
    double wait_s;
} ddp_reducer_figures;
void ddp_reducer_stats(const ddp_reducer *r, ddp_reducer_figures *f);

#endif
