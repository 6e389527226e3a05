-- PostgreSQL, for this transaction (set_config(..., true) is SET LOCAL with the value bound): the memory of
-- each sort or hash, the cost of an index lookup, and no JIT (ektp.warehouse.tuning says why).
SELECT set_config('work_mem', :work_mem, true);
SELECT set_config('random_page_cost', :random_page_cost, true);
SELECT set_config('jit', 'off', true);
