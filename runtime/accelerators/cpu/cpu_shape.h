/*
 * cpu_shape.h — CPU kernels of the shape family: strided copies between views
 * and index_select / index_add. Kernels never allocate or fail; the front-ends check.
 */
#ifndef LTR_CPU_SHAPE_H
#define LTR_CPU_SHAPE_H

#include "ltrun.h"

#include <stdbool.h>
#include <stdint.h>

void ltr_cpu_strided_copy(lt_dtype dt, int ndim, const int64_t *shape, void *dst,
                          const int64_t *dst_stride, const void *src, const int64_t *src_stride,
                          bool accumulate);
void ltr_cpu_index_select(lt_dtype dt, const void *x, int64_t outer, int64_t dim, int64_t inner,
                          const int64_t *idx, int64_t nidx, void *y);
void ltr_cpu_index_add(lt_dtype dt, const void *gy, int64_t outer, int64_t dim, int64_t inner,
                       const int64_t *idx, int64_t nidx, void *gx);

#endif
