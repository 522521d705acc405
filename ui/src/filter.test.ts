import { describe, expect, it } from 'vitest';
import { composeFilter, orderByIndex, withoutOrderBy, workflowIdFilter } from './filter.js';

describe('list filter composition', () => {
  it('adds a quick status filter to the user filter, keeping ORDER BY last', () => {
    expect(composeFilter('', 'Running')).toBe("ExecutionStatus = 'Running'");
    expect(composeFilter("WorkflowType = 'a' OR WorkflowType = 'b'", 'Failed')).toBe("ExecutionStatus = 'Failed' AND (WorkflowType = 'a' OR WorkflowType = 'b')");
    expect(composeFilter("WorkflowType = 'a' order by StartTime asc", 'Running')).toBe("ExecutionStatus = 'Running' AND (WorkflowType = 'a') order by StartTime asc");
    expect(composeFilter('ORDER BY CloseTime', 'Completed')).toBe("ExecutionStatus = 'Completed' ORDER BY CloseTime");
    expect(composeFilter("  WorkflowType = 'a'  ")).toBe("WorkflowType = 'a'");
  });

  it('finds ORDER BY only outside quoted strings', () => {
    expect(orderByIndex("WorkflowId = 'order by me'")).toBe(-1);
    const tricky = "WorkflowId = 'it\\'s order by' ORDER BY StartTime";
    expect(orderByIndex(tricky)).toBe(tricky.lastIndexOf('ORDER BY'));
    expect(orderByIndex('reorder BY x')).toBe(-1);
    expect(withoutOrderBy("WorkflowType = 'a' ORDER BY StartTime DESC")).toBe("WorkflowType = 'a'");
  });

  it('quotes a workflow id', () => {
    expect(workflowIdFilter("it's")).toBe("WorkflowId = 'it\\'s'");
  });
});
