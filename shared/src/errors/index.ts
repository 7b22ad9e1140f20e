export { defineErrors, PfError, isPfError, type ErrorDef } from './error';
export { Errors, type ErrorName } from './catalogue';
