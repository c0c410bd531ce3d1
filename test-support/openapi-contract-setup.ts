import { checkResponsesAgainstOpenApi } from './openapi-contract';

checkResponsesAgainstOpenApi();
