import { Conflict, DomainError, NotFound } from '../common/errors.js';

export class ModelNotFound extends NotFound {
  constructor(id: string) {
    super('Model', id);
  }
}

export class ModelAlreadyExists extends Conflict {
  constructor(id: string) {
    super('model_exists', `A model with id ${id} already exists in this orbit`);
  }
}

/** The model is not in a state that allows the action (loading, active, failed…). */
export class ModelStateConflict extends Conflict {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, details);
  }
}

/** A gateway request for a model that is not active and may not be activated on demand. */
export class ModelNotActive extends DomainError {
  constructor(id: string) {
    super(
      400,
      'model_not_active',
      `Model ${id} is not active; activate it (POST /v1/models/${id}:activate) or enable on-demand activation in its config`,
    );
  }
}
