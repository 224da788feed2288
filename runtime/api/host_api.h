/* host_api.h — the host table's registration point (api/host_api.c). */
#ifndef LTR_API_HOST_API_H
#define LTR_API_HOST_API_H

#include "ltrun.h"

/* The table handed to plugins is ltr_host_api() (core/context.h). The members a part
 * above api/ serves (the trainer's: hook control, optimization, checkpoints, callback
 * services) are NULL until that part fills them in here, once, before any hook runs;
 * fill writes only its own members. */
void ltr_host_api_serve(void (*fill)(lt_host_api *api));

#endif
