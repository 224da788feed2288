/* op_hooks.c — the op observer list (see op_hooks.h). */
#include "tensor/op_hooks.h"

#include <stddef.h>

ltr_op_observer *ltr_op_observers = NULL;

void ltr_op_observer_add(ltr_op_observer *o) {
    o->next = ltr_op_observers;
    ltr_op_observers = o;
}

void ltr_op_observer_remove(ltr_op_observer *o) {
    for (ltr_op_observer **p = &ltr_op_observers; *p; p = &(*p)->next)
        if (*p == o) {
            *p = o->next;
            o->next = NULL;
            return;
        }
}
